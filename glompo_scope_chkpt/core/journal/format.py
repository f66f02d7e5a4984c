"""The layout of the history files, and the mark a checkpoint keeps of them.

Both files start with one JSON header line naming the format, its version and the run's key.

* ``history_points.bin``: then one 20-byte little-endian record per evaluation, in the order the
  manager processed them (ascending ``call_id``): ``call_id`` int64, ``fx`` float64, ``opt_id``
  int32.
* ``history_markers.jsonl``: then one JSON line per marker: ``[kind, call_id, opt_id, fx, label]``.

A file is only ever appended to, so any prefix of it is the history as it stood at some point;
a record torn by a kill can only be the last one. A checkpoint stores its :class:`HistoryMark`:
the size of each file and the SHA-256 of that prefix.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..history import MARKER_KINDS, History, Marker

__all__ = [
    "HEADER_LIMIT",
    "POINT",
    "POINT_DTYPE",
    "HistoryMark",
    "decode_marker",
    "encode_marker",
    "header",
    "marker_lines",
    "parse_header",
    "point_chunks",
]

VERSION = 1
_FORMATS = {
    "points": "glompo_scope_chkpt/history-points",
    "markers": "glompo_scope_chkpt/history-markers",
}
HEADER_LIMIT = 4096
"""Longest header line read."""
POINT = struct.Struct("<qdi")
"""One point record: ``call_id``, ``fx``, ``opt_id``."""
POINT_DTYPE = np.dtype([("call_id", "<i8"), ("fx", "<f8"), ("opt_id", "<i4")])
"""The same record for numpy (packed: 20 bytes)."""
_CHUNK_POINTS = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_SIZE = 2**63 - 1


def header(kind: str, key: str, offset: int = 0) -> bytes:
    """The header line of the history file of ``kind`` (``"points"`` or ``"markers"``).

    An aside file holding the records from byte ``offset`` on of a history file names it.
    """
    fields: dict[str, Any] = {"format": _FORMATS[kind], "version": VERSION, "key": key}
    if offset:
        fields["offset"] = offset
    return json.dumps(fields).encode() + b"\n"


def parse_header(kind: str, raw: bytes) -> tuple[str, int]:
    """Return the run key and the offset in the header at the start of ``raw``.

    Raises
    ------
    ValueError
        Saying why, if ``raw`` does not start with a header of ``kind`` of this version.
    """
    line, newline, _ = raw[:HEADER_LIMIT].partition(b"\n")
    try:
        fields = json.loads(line) if newline else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict) or fields.get("format") != _FORMATS[kind]:
        raise ValueError("it does not start with a history header of this package")
    if fields.get("version") != VERSION or not isinstance(fields.get("key"), str):
        raise ValueError(f"it is of history format version {fields.get('version')!r:.20}")
    offset = fields.get("offset", 0)
    if type(offset) is not int or not 0 <= offset <= _MAX_SIZE:
        raise ValueError("its offset is not a byte count")
    return str(fields["key"]), offset


def point_chunks(history: History) -> Iterator[bytes]:
    """The point records of ``history`` in ``call_id`` order, a chunk at a time.

    The manager appends points in ``call_id`` order, so these are the bytes it appended.
    """
    traces = [(opt_id, t) for opt_id, t in history.traces.items() if len(t)]
    if not traces:
        return
    records = np.empty(sum(len(t) for _, t in traces), dtype=POINT_DTYPE)
    start = 0
    for opt_id, trace in traces:
        end = start + len(trace)
        records["call_id"][start:end], records["fx"][start:end] = trace.call_ids, trace.fx
        records["opt_id"][start:end] = opt_id
        start = end
    records = records[np.argsort(records["call_id"], kind="stable")]
    for first in range(0, len(records), _CHUNK_POINTS):
        yield records[first : first + _CHUNK_POINTS].tobytes()


def encode_marker(marker: Marker) -> bytes:
    """One marker as its JSON line."""
    fields = [marker.kind, marker.call_id, marker.opt_id, marker.fx, marker.label]
    return json.dumps(fields, ensure_ascii=False).encode() + b"\n"


def marker_lines(history: History) -> Iterator[bytes]:
    """The marker lines of ``history``, in order."""
    for marker in history.markers:
        yield encode_marker(marker)


def _is_int(value: Any) -> bool:
    return type(value) is int


def decode_marker(line: bytes) -> Marker:
    """The marker of one JSON line.

    Raises
    ------
    ValueError
        If the line is not a marker record.
    """
    fields = json.loads(line)
    if not isinstance(fields, list) or len(fields) != 5:
        raise ValueError("a marker line is not a list of five fields")
    kind, call_id, opt_id, fx, label = fields
    if kind not in MARKER_KINDS or not _is_int(call_id) or not isinstance(label, str):
        raise ValueError(f"a marker line holds {line[:80]!r}")
    if not (opt_id is None or _is_int(opt_id)) or not (fx is None or type(fx) in (int, float)):
        raise ValueError(f"a marker line holds {line[:80]!r}")
    return Marker(kind, call_id, opt_id, None if fx is None else float(fx), label)


@dataclass(frozen=True)
class HistoryMark:
    """How far the history files reached at a checkpoint: sizes in bytes, SHA-256 of each prefix.

    The sizes include the headers.
    """

    points_bytes: int
    markers_bytes: int
    points_sha256: str
    markers_sha256: str

    def as_meta(self) -> dict[str, Any]:
        """The mark as a checkpoint's ``meta.json`` holds it."""
        return {
            "points_bytes": self.points_bytes,
            "markers_bytes": self.markers_bytes,
            "points_sha256": self.points_sha256,
            "markers_sha256": self.markers_sha256,
        }

    @classmethod
    def from_meta(cls, value: Any) -> HistoryMark | None:
        """The mark of a ``meta.json`` field, or ``None`` if it is not one."""
        if not isinstance(value, dict) or set(value) != set(cls.__dataclass_fields__):
            return None
        sizes = value["points_bytes"], value["markers_bytes"]
        digests = value["points_sha256"], value["markers_sha256"]
        if not all(_is_int(s) and 0 < s <= _MAX_SIZE for s in sizes):
            return None
        if not all(isinstance(d, str) and _SHA256.fullmatch(d) for d in digests):
            return None
        return cls(*sizes, *digests)
