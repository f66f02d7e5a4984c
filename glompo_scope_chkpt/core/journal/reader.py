"""Rebuilding a loaded run's history from the prefix of its files that a checkpoint marks.

Read-only: the files beside the checkpoint (or the copies a self-contained archive embeds) are
read up to the checkpoint's :class:`~.format.HistoryMark`, hashed and compared with it, and
parsed into a :class:`~glompo_scope_chkpt.core.history.History`. Whatever follows the prefix is
left alone (the session that resumes moves it aside). Every problem is one
:class:`~glompo_scope_chkpt.errors.CheckpointLoadError` naming the file, what is wrong and what
to do.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..._run_files import HISTORY_MARKERS_FILENAME, HISTORY_POINTS_FILENAME, history_aside_name
from ...errors import CheckpointLoadError
from ..history import History, Trace
from .format import HEADER_LIMIT, POINT_DTYPE, HistoryMark, decode_marker, parse_header
from .journal import HistoryJournal

__all__ = ["read_history"]

_CHUNK = POINT_DTYPE.itemsize << 16


class _Source:
    """One history file to read: on disk beside the checkpoint, or embedded in it."""

    def __init__(self, archive: Path, name: str, embedded: Mapping[str, bytes] | None) -> None:
        self.archive, self.name = archive, name
        self.embedded = None if embedded is None else embedded.get(name)
        self.path = archive.parent / name
        self.where = f"{name} embedded in {archive}" if embedded is not None else str(self.path)

    def problem(self, what: str, todo: str) -> CheckpointLoadError:
        return CheckpointLoadError(
            f"Checkpoint {self.archive} cannot be loaded: its history file {self.where} {what}. "
            f"{todo}"
        )

    def open(self, needed: int) -> BinaryIO:
        if self.embedded is not None:
            stream: BinaryIO = io.BytesIO(self.embedded)
            size = len(self.embedded)
        else:
            try:
                size = self.path.stat().st_size
                stream = self.path.open("rb")
            except FileNotFoundError:
                raise self.problem(
                    "is missing",
                    "A checkpoint keeps its history in the files beside it: copy or move its "
                    "checkpointing folder whole, or write the checkpoint with "
                    "self_contained=True (manager.checkpoint(self_contained=True), or "
                    "CheckpointingControl(self_contained=True)) to carry it in the archive.",
                ) from None
            except OSError as exc:
                raise self.problem(f"cannot be read ({exc})", "Check the file.") from exc
        if size < needed:
            stream.close()
            aside = history_aside_name(self.name, "*")
            raise self.problem(
                f"holds {size} bytes, but the checkpoint needs its first {needed}",
                "Records after an earlier checkpoint are moved aside (to "
                f"{aside}) when the run resumes from it: load a checkpoint of that resumed run "
                "(e.g. the checkpointing folder), or restore the file.",
            )
        return stream

    def read(self, stream: BinaryIO, size: int, digest: hashlib._Hash) -> bytes:
        data = stream.read(size)
        if len(data) != size:
            raise self.problem("ended early", "Restore the file, or load another checkpoint.")
        digest.update(data)
        return data


def _check_header(source: _Source, kind: str, data: bytes, key: str) -> int:
    try:
        found = parse_header(kind, data)
    except ValueError as exc:
        raise source.problem(
            f"is not a history file of this package ({exc})", "Restore it."
        ) from exc
    if found != key:
        raise source.problem(
            f"belongs to another optimization (key {found[:40]!r}, not {key!r})",
            "Put the history files of this run beside the checkpoint.",
        )
    return data.index(b"\n") + 1


def _check_digest(source: _Source, digest: hashlib._Hash, expected: str) -> None:
    if digest.hexdigest() != expected:
        raise source.problem(
            "does not hold what the checkpoint recorded (its SHA-256 differs): it was altered or "
            "replaced",
            "Restore it, or load another checkpoint.",
        )


def _add_points(history: History, data: bytes, last_call: int) -> int:
    records = np.frombuffer(data, dtype=POINT_DTYPE)
    call_ids = records["call_id"]
    if len(call_ids) and (call_ids[0] <= last_call or np.any(np.diff(call_ids) <= 0)):
        raise ValueError("its evaluation numbers do not ascend")
    order = np.argsort(records["opt_id"], kind="stable")
    grouped = records[order]
    ids, starts = np.unique(grouped["opt_id"], return_index=True)
    for opt_id, start, end in zip(ids, starts, [*starts[1:], len(grouped)], strict=True):
        trace = history.traces.setdefault(int(opt_id), Trace())
        trace.extend(grouped["call_id"][start:end], grouped["fx"][start:end])
    return int(call_ids[-1]) if len(call_ids) else last_call


def _read_points(source: _Source, key: str, size: int, history: History) -> hashlib._Hash:
    digest = hashlib.sha256()
    with source.open(size) as stream:
        head = source.read(stream, min(size, HEADER_LIMIT), digest)
        start = _check_header(source, "points", head, key)
        body, rest = head[start:], size - len(head)
        if (len(body) + rest) % POINT_DTYPE.itemsize:
            raise source.problem("ends in a torn record", "Restore it.")
        last_call = -1
        while body or rest:
            more = source.read(stream, min(rest, _CHUNK), digest)
            rest -= len(more)
            body += more
            whole = len(body) - len(body) % POINT_DTYPE.itemsize
            try:
                last_call = _add_points(history, body[:whole], last_call)
            except ValueError as exc:
                raise source.problem(f"is damaged ({exc})", "Restore it.") from exc
            body = body[whole:]
    return digest


def _read_markers(source: _Source, key: str, size: int, history: History) -> hashlib._Hash:
    digest = hashlib.sha256()
    with source.open(size) as stream:
        data = source.read(stream, size, digest)
    start = _check_header(source, "markers", data, key)
    if data and not data.endswith(b"\n"):
        raise source.problem("ends in a torn record", "Restore it.")
    try:
        history.markers.extend(decode_marker(line) for line in data[start:].splitlines())
    except ValueError as exc:
        raise source.problem(f"is damaged ({exc})", "Restore it.") from exc
    return digest


def read_history(
    archive: Path,
    key: str,
    mark: HistoryMark,
    origin: str,
    embedded: Mapping[str, bytes] | None = None,
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

    Raises
    ------
    CheckpointLoadError
        If a file is missing, shorter than the mark, of another run, or its prefix differs.
    """
    history = History()
    points = _Source(archive, HISTORY_POINTS_FILENAME, embedded)
    markers = _Source(archive, HISTORY_MARKERS_FILENAME, embedded)
    points_digest = _read_points(points, key, mark.points_bytes, history)
    _check_digest(points, points_digest, mark.points_sha256)
    markers_digest = _read_markers(markers, key, mark.markers_bytes, history)
    _check_digest(markers, markers_digest, mark.markers_sha256)
    trusted = None if embedded is not None else archive.parent
    return HistoryJournal(key, history, origin, mark, (points_digest, markers_digest), trusted)
