"""One checkpoint on disk: a ``.tar.gz`` written atomically, checked on every read.

Layout of an archive::

    manager.pkl      the manager's settings and run state (pickle; dill where pickle cannot)
    task.pkl         the task, if it could be pickled
    task/...         what ``task.checkpoint_save(dir)`` wrote, if it could not
    history/...      the history files up to the checkpoint, if it is self-contained
    meta.json        format, version, key, f_counter, how the task was kept, sha256 of each member

Loading a checkpoint unpickles it: **only load checkpoints from a source you trust**. Reading
itself is safe: members that are absolute, contain ``..``, or are links or devices are refused,
and an archive is streamed under a budget, so a damaged or hostile one (a gzip bomb) is refused
before it fills the memory: at most ``GLOMPO_CHECKPOINT_MAX_EXPANSION`` (default 8) times the
archive's size plus 1 MiB is inflated (a checkpoint is stored uncompressed, so it needs about
once its size), ``meta.json`` may hold 1 MiB, and an archive 100,000 members.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import tarfile
import time
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import dill

from .._disk import disk_errno, disk_error
from .._fileio import atomic_path
from .._logging import get_logger
from .._run_files import HISTORY_MEMBER_FOLDER
from .._tempfiles import scratch_dir
from ..errors import (
    CheckpointDiskError,
    CheckpointError,
    CheckpointLoadError,
    GloMPOError,
    InvalidSettingError,
    UnsafeArchiveError,
)
from .meta import FORMAT, FORMAT_VERSION, MAX_META_BYTES, damaged, parse_meta

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "DEFAULT_EXPANSION",
    "EXPANSION_VARIABLE",
    "MAX_MEMBERS",
    "CheckpointContents",
    "max_expansion",
    "write_checkpoint",
    "read_checkpoint",
    "read_meta",
]

logger = get_logger(__name__)

_PAYLOAD, _TASK, _TASK_DIR, _META = "manager.pkl", "task.pkl", "task", "meta.json"
_GZIP_LEVEL = 0
"""gzip stores, not compresses: level 1 took 17 of a 25 ms checkpoint (8 CMA-ES, 100k
evaluations) to halve 1.6 MB; the loop's time is worth more than that disk space."""
EXPANSION_VARIABLE = "GLOMPO_CHECKPOINT_MAX_EXPANSION"
DEFAULT_EXPANSION = 8
"""An archive may inflate to this many times its size (plus 1 MiB): 8 leaves room for archives
compressed by other tools, yet stops a gzip bomb (1,000 times) after a few MiB."""
_BUDGET_SLACK = 1 << 20
MAX_MEMBERS = 100_000


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
    history
        The history files a self-contained checkpoint embeds, by file name (else empty).
    """

    meta: dict[str, Any]
    payload: bytes
    task_pickle: bytes | None
    task_dir: Path | None
    history: dict[str, bytes] = field(default_factory=dict)


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
    extra: Mapping[str, bytes] | None = None,
) -> str:
    """Write a checkpoint archive at ``path`` atomically and return how the task was kept.

    ``extra`` are further members, by name (the history files of a self-contained checkpoint).

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
            members: dict[str, bytes] = {_PAYLOAD: payload, **(extra or {})}
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


def max_expansion() -> int:
    """How many times its size an archive may inflate to: ``GLOMPO_CHECKPOINT_MAX_EXPANSION``.

    Raises
    ------
    InvalidSettingError
        If the environment variable is set to anything but an integer >= 1.
    """
    text = os.environ.get(EXPANSION_VARIABLE, "").strip()
    if not text:
        return DEFAULT_EXPANSION
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidSettingError(f"{EXPANSION_VARIABLE} must be an integer >= 1, not {text!r}.")
    return value


class _Oversized(Exception):
    """The archive inflates past its budget (see :func:`_budget`)."""


class _BoundedReader:
    """Hands out the bytes of ``raw`` until ``budget`` of them are read, then raises."""

    def __init__(self, raw: Any, budget: int) -> None:
        self._raw, self.budget, self.count = raw, budget, 0

    def read(self, size: int | None = -1) -> bytes:
        room = self.budget - self.count + 1  # one byte past the budget proves it overflows
        data = self._raw.read(room if size is None or size < 0 else min(size, room))
        self.count += len(data)
        if self.count > self.budget:
            raise _Oversized
        return data


def _budget(archive: Path) -> int:
    """Bytes the archive may inflate to: ``max_expansion()`` times its size, plus 1 MiB."""
    return max_expansion() * archive.stat().st_size + _BUDGET_SLACK


def _too_large(archive: Path, budget: int) -> CheckpointLoadError:
    return damaged(
        archive,
        f"it inflates to more than {budget} bytes, {max_expansion()} times its size plus 1 MiB; "
        "nothing more was read. A genuine checkpoint that large loads with "
        f"{EXPANSION_VARIABLE} set higher",
    )


@contextlib.contextmanager
def _opened(archive: Path) -> Iterator[tuple[tarfile.TarFile, _BoundedReader]]:
    """Stream ``archive``, never inflating it past its budget; any damage raises on the spot."""
    try:
        budget = _budget(archive)
        with open(archive, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            reader = _BoundedReader(unzipped, budget)
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                yield tar, reader
    except FileNotFoundError as exc:
        raise CheckpointLoadError(
            f"Checkpoint {archive} does not exist; pass an existing checkpoint file or its folder."
        ) from exc
    except GloMPOError:
        raise
    except _Oversized as exc:
        raise _too_large(archive, budget) from exc
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, RecursionError) as exc:
        raise damaged(archive, str(exc) or type(exc).__name__) from exc


def _read_members(archive: Path, only: str | None = None) -> dict[str, bytes]:
    """Read the files of ``archive`` (or only the one named ``only``), checking each header.

    A member is refused before it is read if it is unsafe, would overrun the budget, is a
    ``meta.json`` over :data:`MAX_META_BYTES`, repeats an earlier name or is one too many.
    """
    members: dict[str, bytes] = {}
    seen: set[str] = set()
    with _opened(archive) as (tar, reader):
        for member in tar:
            name = _safe_member(member, archive)
            if member.size > reader.budget - reader.count:
                raise _too_large(archive, reader.budget)
            if name == _META and member.size > MAX_META_BYTES:
                raise damaged(archive, f"meta.json exceeds {MAX_META_BYTES} bytes")
            if name in seen or len(seen) >= MAX_MEMBERS:
                raise damaged(archive, f"'{name}' repeats a member, or one of over {MAX_MEMBERS}")
            seen.add(name)
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and only in (None, name):
                members[name] = handle.read()
                if only is not None:
                    break
    return members


def _is_glompo_checkpoint(members: Mapping[str, bytes]) -> bool:
    """Whether an archive has GloMPO's layout: a pickled ``manager`` file beside its task."""
    names = {PurePosixPath(name).parts[-1] for name in members}
    folders = {part for name in members for part in PurePosixPath(name).parts[:-1]}
    return "manager" in names and ("task" in names or "optimizers" in folders)


def read_meta(archive: Path) -> dict[str, Any]:
    """Read only the ``meta.json`` of a checkpoint archive: nothing is unpickled or extracted.

    The members are not checked against their checksums (:func:`read_checkpoint` does that).

    Raises
    ------
    CheckpointLoadError
        If the file is missing, not a gzipped tar, too large, has no readable ``meta.json``,
        or is of an unknown format or version.
    """
    return parse_meta(archive, _read_members(archive, only=_META).get(_META))


def _check_members(archive: Path, meta: Mapping[str, Any], members: Mapping[str, bytes]) -> None:
    expected: dict[str, str] = meta["files"]
    if set(expected) != set(members):
        listed = sorted(expected)[:20]
        raise damaged(archive, f"members {sorted(members)[:20]} differ from {listed}")
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != expected[name]:
            raise damaged(archive, f"checksum of {name} does not match")
    mode, has_pickle = meta["task"], _TASK in members
    if _PAYLOAD not in members or has_pickle != (mode == "pickled"):
        raise damaged(archive, f"its members do not match the task kept as {mode!r}")


def _extract_task(archive: Path, members: Mapping[str, bytes], extract_dir: Path) -> Path:
    task_dir = extract_dir / _TASK_DIR
    try:
        for name, data in members.items():
            if name.startswith(_TASK_DIR + "/"):
                target = extract_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        task_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise damaged(archive, f"its saved task cannot be extracted: {exc}") from exc
    return task_dir


def read_checkpoint(archive: Path, extract_dir: Path) -> CheckpointContents:
    """Read and verify a checkpoint archive; extract the task folder, if any, into ``extract_dir``.

    The archive is streamed: it may inflate to at most ``max_expansion()`` times its size plus
    1 MiB, and its ``meta.json`` to :data:`MAX_META_BYTES`; past either it is refused before more
    is read.

    Raises
    ------
    CheckpointLoadError
        If the file is missing, truncated, altered, too large, or of an unknown format or
        version.
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
    meta = parse_meta(archive, members.pop(_META, None))
    _check_members(archive, meta, members)
    task_dir = _extract_task(archive, members, extract_dir) if meta["task"] == "saved" else None
    prefix = HISTORY_MEMBER_FOLDER + "/"
    history = {n.removeprefix(prefix): d for n, d in members.items() if n.startswith(prefix)}
    return CheckpointContents(meta, members[_PAYLOAD], members.get(_TASK), task_dir, history)
