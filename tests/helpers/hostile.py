"""Hostile and damaged files: a finished run to damage, archives rebuilt member by member, and
a fingerprint of every file of a folder, to prove a refused load changed nothing.

Import from tests as ``from tests.helpers.hostile import finished_run, folder_digest``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.hunters import StagnationHunter
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.tasks import rastrigin

__all__ = [
    "archive_bytes",
    "copy_of",
    "finished_run",
    "folder_digest",
    "gzip_bomb",
    "read_members",
    "resign",
    "write_members",
]


def finished_run(folder: Path, evaluations: int = 400, every: int = 100) -> Path:
    """Run a small seeded optimization in ``folder`` with its HDF5 log; return its checkpoints.

    Checkpoints ``chk_000``... are taken every ``every`` evaluations (no movie); several
    optimizers run, end and are killed along the way, so the log holds many groups.
    """
    manager = GloMPOManager.new_manager(
        task=rastrigin,
        bounds=[(-5.12, 5.12)] * 3,
        opt_selector=CycleSelector(
            (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 120})
        ),
        working_dir=folder,
        executor="serial",
        max_jobs=3,
        seed=5,
        hunter=StagnationHunter(patience=80),
        convergence_checker=MaxFuncCalls(evaluations),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=every,
            naming_format="chk_%(count)",
            checkpointing_dir=folder / "checkpoints",
        ),
        summary_files=3,
    )
    manager.start_manager()
    return folder / "checkpoints"


def copy_of(folder: Path, into: Path) -> Path:
    """Copy ``folder`` (e.g. a run made once per module) into ``into``; return the copy."""
    copy = into / folder.name
    shutil.copytree(folder, copy)
    return copy


def folder_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path (links are not followed)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def read_members(archive: Path) -> dict[str, bytes]:
    """The files of a checkpoint archive, in their order (``meta.json`` last)."""
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def archive_bytes(members: dict[str, bytes] | list[tuple[str, bytes]], level: int = 0) -> bytes:
    """``members`` as a gzipped tar (gzip level ``level``), in order.

    A list of ``(name, data)`` pairs may repeat a name.
    """
    pairs = list(members.items()) if isinstance(members, dict) else members
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=level) as tar:
        for name, data in pairs:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_members(
    archive: Path, members: dict[str, bytes] | list[tuple[str, bytes]], level: int = 0
) -> Path:
    """Write ``members`` as a gzipped tar at ``archive`` (see :func:`archive_bytes`)."""
    archive.write_bytes(archive_bytes(members, level))
    return archive


def resign(members: dict[str, bytes], **meta_changes: object) -> dict[str, bytes]:
    """``members`` with ``meta.json`` listing their true checksums, and ``meta_changes`` applied.

    This is what a writer that checksums what it was given would produce: the archive is
    consistent, only its content is wrong.
    """
    meta = json.loads(members["meta.json"])
    files = {name: data for name, data in members.items() if name != "meta.json"}
    meta["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    meta.update(meta_changes)
    return {**files, "meta.json": json.dumps(meta).encode()}


def gzip_bomb(path: Path, inflated: int, longname: bool = False) -> Path:
    """Write a small gzip file that inflates to a tar member of ``inflated`` zero bytes.

    The member is ``manager.pkl``, or with ``longname`` a GNU long-name record that ``tarfile``
    reads whole into memory. The zeros are many copies of one compressed MiB (gzip allows
    concatenated members), so writing the bomb takes milliseconds: 1.28 GB fit in 1.25 MB.
    """
    info = tarfile.TarInfo("x" if longname else "manager.pkl")
    info.size = inflated
    if longname:
        info.type = tarfile.GNUTYPE_LONGNAME
    mib = 1 << 20
    block = gzip.compress(b"\0" * mib, 9)
    with open(path, "wb") as out:
        out.write(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT)))
        for _ in range(inflated // mib + 1):
            out.write(block)
    return path
