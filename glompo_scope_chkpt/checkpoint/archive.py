"""One checkpoint on disk: a ``.tar.gz`` written atomically, checked on every read.

Layout of an archive::

    manager.pkl      the manager's settings and run state (pickle; dill where pickle cannot)
    task.pkl         the task, if it could be pickled
    task/...         what ``task.checkpoint_save(dir)`` wrote, if it could not
    meta.json        format, version, key, f_counter, how the task was kept, sha256 of each member

Loading a checkpoint unpickles it: **only load checkpoints from a source you trust**. Extraction
itself is safe: members that are absolute, contain ``..``, or are links or devices are refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import dill

from .._disk import disk_errno, disk_error
from .._fileio import atomic_path
from .._logging import get_logger
from .._tempfiles import scratch_dir
from ..errors import CheckpointDiskError, CheckpointError, CheckpointLoadError, UnsafeArchiveError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CheckpointContents",
    "write_checkpoint",
    "read_checkpoint",
    "read_meta",
]

logger = get_logger(__name__)

FORMAT = "glompo_scope_chkpt/checkpoint"
FORMAT_VERSION = 1
_PAYLOAD, _TASK, _TASK_DIR, _META = "manager.pkl", "task.pkl", "task", "meta.json"
_GZIP_LEVEL = 0
"""gzip stores, not compresses: level 1 took 17 of a 25 ms checkpoint (8 CMA-ES, 100k
evaluations) to halve 1.6 MB; the loop's time is worth more than that disk space."""


@dataclass
class CheckpointContents:
    """What :func:`read_checkpoint` found in an archive.

    Attributes
    ----------
    meta
        The parsed ``meta.json``.
    payload
        The pickled manager state.
    task_pickle
        The pickled task, or ``None``.
    task_dir
        Folder holding what ``checkpoint_save`` wrote, extracted, or ``None``.
    """

    meta: dict[str, Any]
    payload: bytes
    task_pickle: bytes | None
    task_dir: Path | None


def _persist_task(task: Any, force_task_save: bool, folder: Path) -> tuple[str, bytes | None]:
    """Keep the task: pickle it, else ``checkpoint_save`` it into ``folder``, else give up."""
    if task is None:
        return "missing", None
    if not force_task_save:
        try:
            return "pickled", dill.dumps(task)
        except Exception as exc:  # any failure counts: dill raises many kinds
            logger.info("Task could not be pickled (%s); trying checkpoint_save.", exc)
    save = getattr(task, "checkpoint_save", None)
    if callable(save):
        try:
            folder.mkdir()
            save(folder)
            return "saved", None
        except Exception as exc:
            logger.info("task.checkpoint_save failed: %s", exc)
    warnings.warn(
        "The checkpoint is made without the task: it could neither be pickled nor saved with "
        "checkpoint_save(dir). Supply it when resuming: load_manager(path, task=...).",
        stacklevel=4,
    )
    return "missing", None


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def write_checkpoint(
    path: Path,
    payload: bytes,
    meta: Mapping[str, Any],
    task: Any,
    force_task_save: bool = False,
) -> str:
    """Write a checkpoint archive at ``path`` atomically and return how the task was kept.

    Returns
    -------
    str
        ``"pickled"``, ``"saved"`` (through ``checkpoint_save``) or ``"missing"``.

    Raises
    ------
    CheckpointError
        If the archive cannot be written; no file appears at ``path`` then.
    """
    now = time.time()
    try:
        with scratch_dir(path.parent, f"{path.name}.task") as tmp:
            task_mode, task_bytes = _persist_task(task, force_task_save, tmp / _TASK_DIR)
            members: dict[str, bytes] = {_PAYLOAD: payload}
            if task_bytes is not None:
                members[_TASK] = task_bytes
            if task_mode == "saved":
                for file in sorted((tmp / _TASK_DIR).rglob("*")):
                    if file.is_file() and not file.is_symlink():
                        members[file.relative_to(tmp).as_posix()] = file.read_bytes()
            full_meta = dict(meta, format=FORMAT, version=FORMAT_VERSION, task=task_mode)
            full_meta["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
            with (
                atomic_path(path) as out,
                tarfile.open(out, "w:gz", compresslevel=_GZIP_LEVEL) as tar,
            ):
                for name, data in members.items():
                    _add_bytes(tar, name, data, now)
                _add_bytes(tar, _META, json.dumps(full_meta, indent=1).encode(), now)
    except OSError as exc:
        if disk_errno(exc) is not None:
            raise disk_error(CheckpointDiskError, "the checkpoint", path, exc) from exc
        raise CheckpointError(f"Checkpoint {path} could not be written: {exc}") from exc
    return task_mode


def _safe_member(member: tarfile.TarInfo, archive: Path) -> str:
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or ".." in parts:
        raise UnsafeArchiveError(
            f"Checkpoint {archive} holds the member '{name}', which points outside its folder; "
            "the file is refused and was not extracted. Use a checkpoint from a trusted source."
        )
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(
            f"Checkpoint {archive} holds '{name}', a link or special file, which checkpoints "
            "never contain; the file is refused and was not extracted."
        )
    return PurePosixPath(*parts).as_posix() if parts else name


def _corrupt(archive: Path, why: str) -> CheckpointLoadError:
    return CheckpointLoadError(
        f"Checkpoint {archive} is damaged ({why}). It was probably truncated by a kill or altered; "
        f"load an earlier checkpoint from {archive.parent} instead."
    )


@contextlib.contextmanager
def _opened(archive: Path) -> Iterator[tarfile.TarFile]:
    """Open ``archive`` for reading; a missing, truncated or garbled file raises on the spot."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            yield tar
    except FileNotFoundError as exc:
        raise CheckpointLoadError(
            f"Checkpoint {archive} does not exist; pass an existing checkpoint file or its folder."
        ) from exc
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise _corrupt(archive, str(exc) or type(exc).__name__) from exc


def _read_members(archive: Path) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    with _opened(archive) as tar:
        for member in tar:
            name = _safe_member(member, archive)
            if member.isfile():
                handle = tar.extractfile(member)
                members[name] = handle.read() if handle else b""
    return members


def _is_glompo_checkpoint(members: Mapping[str, bytes]) -> bool:
    """Whether an archive has GloMPO's layout: a pickled ``manager`` file beside its task."""
    names = {PurePosixPath(name).parts[-1] for name in members}
    folders = {part for name in members for part in PurePosixPath(name).parts[:-1]}
    return "manager" in names and ("task" in names or "optimizers" in folders)


def _parse_meta(archive: Path, raw: bytes | None) -> dict[str, Any]:
    """Parse ``meta.json`` and check that it describes a checkpoint this version reads."""
    if raw is None:
        raise _corrupt(archive, "no meta.json")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise _corrupt(archive, f"unreadable meta.json: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointLoadError(f"{archive} is not a glompo_scope_chkpt checkpoint.")
    if meta.get("version") != FORMAT_VERSION:
        raise CheckpointLoadError(
            f"Checkpoint {archive} has format version {meta.get('version')}; this version of "
            f"glompo_scope_chkpt reads version {FORMAT_VERSION}. Load it with the version that "
            "wrote it."
        )
    return meta


def read_meta(archive: Path) -> dict[str, Any]:
    """Read only the ``meta.json`` of a checkpoint archive: nothing is unpickled or extracted.

    The members are not checked against their checksums (:func:`read_checkpoint` does that).

    Raises
    ------
    CheckpointLoadError
        If the file is missing, not a gzipped tar, has no readable ``meta.json``, or is of an
        unknown format or version.
    """
    raw = None
    with _opened(archive) as tar:
        for member in tar:
            if member.name == _META and member.isfile():
                handle = tar.extractfile(member)
                raw = handle.read() if handle else b""
                break
    return _parse_meta(archive, raw)


def read_checkpoint(archive: Path, extract_dir: Path) -> CheckpointContents:
    """Read and verify a checkpoint archive; extract the task folder, if any, into ``extract_dir``.

    Raises
    ------
    CheckpointLoadError
        If the file is missing, truncated, altered, or of an unknown format or version.
    UnsafeArchiveError
        If a member would land outside ``extract_dir`` or is a link or special file.
    """
    members = _read_members(archive)
    if _META not in members and _is_glompo_checkpoint(members):
        raise CheckpointLoadError(
            f"{archive} is a checkpoint of GloMPO, not of glompo_scope_chkpt. The two store "
            "different things (GloMPO pickles its threaded optimizers; this package saves "
            "ask/tell state), so it cannot be loaded here: finish that run with GloMPO, or "
            "start it anew with glompo_scope_chkpt."
        )
    meta = _parse_meta(archive, members.pop(_META, None))
    expected: dict[str, str] = meta.get("files", {})
    if set(expected) != set(members):
        raise _corrupt(archive, f"members {sorted(members)} differ from {sorted(expected)}")
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != expected[name]:
            raise _corrupt(archive, f"checksum of {name} does not match")
    task_dir = None
    if meta.get("task") == "saved":
        task_dir = extract_dir / _TASK_DIR
        for name, data in members.items():
            if name.startswith(_TASK_DIR + "/"):
                target = extract_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        task_dir.mkdir(exist_ok=True)
    return CheckpointContents(meta, members[_PAYLOAD], members.get(_TASK), task_dir)
