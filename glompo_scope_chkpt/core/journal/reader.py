"""Rebuilding a loaded run's history from the prefix of its files that a checkpoint marks.

Read-only: the files beside the checkpoint (or the copies a self-contained archive embeds) are
read up to the checkpoint's :class:`~.format.HistoryMark`, hashed and compared with it, and
parsed into a :class:`~glompo_scope_chkpt.core.history.History`. Whatever follows the prefix is
left alone (the session that resumes moves it aside).

A checkpoint behind one the run was resumed from finds its records in the aside files: its
prefix is then the history file up to where an aside file's records started, followed by them
(or an aside file that is a whole history file). Every problem is one
:class:`~glompo_scope_chkpt.errors.CheckpointLoadError` naming the file, what is wrong and what
to do.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from ..._run_files import HISTORY_MARKERS_FILENAME, HISTORY_POINTS_FILENAME, history_aside_name
from ...errors import CheckpointLoadError
from ..history import History, Marker, Trace
from ..packed_trace import PackedTrace
from .format import HEADER_LIMIT, POINT_DTYPE, HistoryMark, decode_marker, parse_header
from .journal import HistoryJournal

__all__ = ["read_history"]

_BLOCK = POINT_DTYPE.itemsize << 16
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Part:
    """Bytes ``[start, stop)`` of a file (``stop`` ``None``: to its end), or embedded bytes."""

    source: Path | bytes
    start: int = 0
    stop: int | None = None

    def length(self) -> int:
        end = len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size
        return max(0, min(end, self.stop if self.stop is not None else end) - self.start)

    def blocks(self, size: int) -> Iterator[bytes]:
        """The first ``size`` bytes of the part, at most :data:`_BLOCK` bytes at a time."""
        if isinstance(self.source, bytes):
            data = memoryview(self.source)[self.start : self.start + size]
            for first in range(0, len(data), _BLOCK):
                yield bytes(data[first : first + _BLOCK])
            return
        with open(self.source, "rb") as handle:
            handle.seek(self.start)
            while size > 0 and (block := handle.read(min(_BLOCK, size))):
                size -= len(block)
                yield block


@dataclass(frozen=True)
class _Candidate:
    """Where a file's prefix may be: one part, or a history file's start and an aside's tail."""

    where: str
    parts: tuple[_Part, ...]
    trusted: bool = False

    def size(self) -> int:
        return sum(part.length() for part in self.parts)

    def blocks(self, size: int) -> Iterator[bytes]:
        for part in self.parts:
            take = min(size, part.length())
            yield from part.blocks(take)
            size -= take


if TYPE_CHECKING:
    _Parser = Callable[[_Candidate, int], tuple[_T, hashlib._Hash]]


class _Reading:
    """One history file being read: its candidates, and the errors that name it."""

    def __init__(self, archive: Path, name: str, embedded: Mapping[str, bytes] | None) -> None:
        self.archive, self.name, self.path = archive, name, archive.parent / name
        self.embedded = None if embedded is None else embedded.get(name, b"")
        self.where = f"{name} embedded in {archive}" if embedded is not None else str(self.path)

    def problem(self, what: str, todo: str) -> CheckpointLoadError:
        return CheckpointLoadError(
            f"Checkpoint {self.archive} cannot be loaded: its history file {self.where} {what}. "
            f"{todo}"
        )

    def missing(self) -> CheckpointLoadError:
        return self.problem(
            "is missing",
            "A checkpoint keeps its history in the files beside it: copy or move its "
            "checkpointing folder whole, or write the checkpoint with self_contained=True "
            "(manager.checkpoint(self_contained=True), or CheckpointingControl("
            "self_contained=True)) to carry it in the archive.",
        )

    def short(self, size: int, needed: int) -> CheckpointLoadError:
        aside = history_aside_name(self.name, "*")
        return self.problem(
            f"holds {size} bytes, but the checkpoint needs its first {needed}, and no aside "
            f"file ({aside}) completes it",
            "Restore the file, or load a checkpoint of the current run (e.g. its folder).",
        )

    def altered(self) -> CheckpointLoadError:
        return self.problem(
            "does not hold what the checkpoint recorded (its SHA-256 differs), nor does any "
            "aside file complete it: it was altered or replaced",
            "Restore it, or load another checkpoint.",
        )

    def candidates(self, kind: str, key: str) -> list[_Candidate]:
        if self.embedded is not None:
            return [_Candidate(self.where, (_Part(self.embedded),))]
        if not self.path.exists():
            raise self.missing()
        found = [_Candidate(self.where, (_Part(self.path),), trusted=True)]
        asides = sorted(self.path.parent.glob(history_aside_name(self.name, "*")))
        for aside in asides:
            try:
                with open(aside, "rb") as handle:
                    head = handle.read(HEADER_LIMIT)
                aside_key, offset = parse_header(kind, head)
            except (OSError, ValueError):
                continue
            if aside_key != key:
                continue
            if offset == 0:
                found.append(_Candidate(str(aside), (_Part(aside),)))
            else:
                tail = _Part(aside, head.index(b"\n") + 1)
                found.append(_Candidate(str(aside), (_Part(self.path, 0, offset), tail)))
        return found


def _check_header(reading: _Reading, kind: str, data: bytes, key: str) -> int:
    try:
        found, _ = parse_header(kind, data)
    except ValueError as exc:
        raise reading.problem(
            f"is not a history file of this package ({exc})", "Restore it."
        ) from exc
    if found != key:
        raise reading.problem(
            f"belongs to another optimization (key {found[:40]!r}, not {key!r})",
            "Put the history files of this run beside the checkpoint.",
        )
    return data.index(b"\n") + 1


def _digest_of(candidate: _Candidate, size: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    for block in candidate.blocks(size):
        digest.update(block)
    return digest


def _read_file(
    reading: _Reading, kind: str, key: str, size: int, sha256: str, parse: _Parser[_T]
) -> tuple[_T, hashlib._Hash, bool]:
    """Parse the first candidate holding the checkpoint's prefix (size and SHA-256).

    Returns what ``parse`` made of it, its running hash, and whether it is the file itself.
    """
    candidates = reading.candidates(kind, key)
    main = candidates[0]
    _check_header(reading, kind, b"".join(main.blocks(min(size, HEADER_LIMIT))), key)
    for candidate in candidates:
        if candidate.size() < size:
            continue
        try:
            value, digest = parse(candidate, size)
        except ValueError as exc:
            if _digest_of(candidate, size).hexdigest() == sha256:
                raise reading.problem(f"is damaged ({exc})", "Restore it.") from exc
            continue
        if digest.hexdigest() == sha256:
            return value, digest, candidate.trusted
    if main.size() < size:
        raise reading.short(main.size(), size)
    raise reading.altered()


def _add_points(
    history: History, data: bytes, ended: Collection[int], packed: dict[int, list[PackedTrace]]
) -> None:
    """Add the records in ``data``; those of ``ended`` optimizers are packed, block by block."""
    records = np.frombuffer(data, dtype=POINT_DTYPE)
    if not len(records):
        return
    order = np.argsort(records["opt_id"], kind="stable")
    grouped = records[order]
    ids, starts = np.unique(grouped["opt_id"], return_index=True)
    for opt_id, start, end in zip(ids.tolist(), starts, [*starts[1:], len(grouped)], strict=True):
        trace = history.traces.setdefault(opt_id, Trace())
        call_ids, fx = grouped["call_id"][start:end], grouped["fx"][start:end]
        if opt_id in ended:
            packed.setdefault(opt_id, []).append(PackedTrace.pack(call_ids, fx))
        else:
            trace.extend(call_ids, fx)


def _ascending(call_ids: np.ndarray) -> None:
    if np.any(np.diff(call_ids) <= 0):
        raise ValueError("its evaluation numbers do not ascend")


def _read_points(
    ended: Collection[int], candidate: _Candidate, size: int
) -> tuple[History, hashlib._Hash]:
    """Parse the points of a candidate's prefix; return them and the running hash of it.

    The traces of ``ended`` optimizers are frozen, and never held unpacked all at once: each
    block's share is packed as it is read, and each trace is joined and packed again alone.
    """
    history, item = History(), POINT_DTYPE.itemsize
    pending, digest, skip = b"", hashlib.sha256(), None
    packed: dict[int, list[PackedTrace]] = {}
    for block in candidate.blocks(size):
        digest.update(block)
        pending += block
        if skip is None:
            skip = pending.index(b"\n") + 1
            pending = pending[skip:]
        whole = len(pending) - len(pending) % item
        _add_points(history, pending[:whole], ended, packed)
        pending = pending[whole:]
    if pending:
        raise ValueError("it ends in a torn record")
    for opt_id, trace in history.traces.items():
        if opt_id in packed:
            parts = [part.unpack() for part in packed.pop(opt_id)]
            call_ids = np.concatenate([ids for ids, _ in parts])
            fx = np.concatenate([values for _, values in parts])
            del parts
            _ascending(call_ids)
            trace.extend(call_ids, fx)
            trace.freeze()
        else:
            _ascending(trace.call_ids)
    return history, digest


def _read_markers(candidate: _Candidate, size: int) -> tuple[list[Marker], hashlib._Hash]:
    data, digest = b"", hashlib.sha256()
    for block in candidate.blocks(size):
        digest.update(block)
        data += block
    if not data.endswith(b"\n"):
        raise ValueError("it ends in a torn record")
    lines = data[data.index(b"\n") + 1 :].splitlines()
    return [decode_marker(line) for line in lines], digest


def read_history(
    archive: Path,
    key: str,
    mark: HistoryMark,
    origin: str,
    embedded: Mapping[str, bytes] | None = None,
    ended: Collection[int] = (),
) -> HistoryJournal:
    """Read the history checkpoint ``archive`` marks; return its journal, holding it.

    Parameters
    ----------
    archive
        The checkpoint: its history files are looked for beside it.
    key
        The run's key, which the files' headers must name.
    mark
        The checkpoint's mark of the files.
    origin
        The checkpoint's name.
    embedded
        The history files a self-contained checkpoint holds, by name; read instead of the
        files beside it.
    ended
        The optimizers that had ended at the checkpoint: their traces are read frozen.

    Raises
    ------
    CheckpointLoadError
        If a file is missing, shorter than the mark, of another run, or its prefix differs.
    """
    points = _Reading(archive, HISTORY_POINTS_FILENAME, embedded)
    markers = _Reading(archive, HISTORY_MARKERS_FILENAME, embedded)
    history, points_digest, points_trusted = _read_file(
        points,
        "points",
        key,
        mark.points_bytes,
        mark.points_sha256,
        functools.partial(_read_points, ended),
    )
    found, markers_digest, markers_trusted = _read_file(
        markers, "markers", key, mark.markers_bytes, mark.markers_sha256, _read_markers
    )
    history.markers.extend(found)
    trusted = archive.parent if points_trusted and markers_trusted else None
    return HistoryJournal(key, history, origin, mark, (points_digest, markers_digest), trusted)
