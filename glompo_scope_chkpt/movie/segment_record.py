"""One movie segment as the manifest records it: the record, its validation and media fields.

Notes
-----
The one concern of this module is a single entry of ``movie_manifest.json``: the
:class:`SegmentRecord` dataclass, its JSON form and the field-by-field checks that
``SegmentRecord.from_dict`` applies to an entry read from JSON (naming the manifest file in every
error). What the segment's file holds is a :class:`~.video_info.VideoInfo`, stored in the entry
as its fields ``frames`` to ``duration``. The manifest file itself (schema, version, loading,
saving and the timeline) is in :mod:`.manifest`.

A segment's ``status`` is one of:

``"complete"``
    Closed cleanly and part of the movie's timeline.
``"superseded"``
    Recorded past the checkpoint a later session resumed from: kept on disk, never stitched.
``"recording"``
    Still being written (or the process writing it died).

``path`` is relative to the manifest's folder, POSIX style, so a run folder can be moved as a
whole; it never leaves that folder (the rules are in :mod:`.confine`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ManifestError
from .confine import segment_path_problem
from .video_info import VideoInfo

__all__ = ["STATUSES", "SegmentRecord"]

STATUSES = ("complete", "superseded", "recording")
_MAX_COUNT = 2**63 - 1

_MEDIA_FIELDS = ("frames", "width", "height", "fps", "codec", "pix_fmt", "time_base", "duration")
"""The fields of a :class:`VideoInfo` a manifest entry stores, in their order in the entry."""


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


_COUNT = (_is_count, "an integer >= 0")
_NUMBER = (_is_number, "a finite number >= 0")
_STRING = (_is_str, "a string")
_FIELD_CHECKS = {
    "frames": _COUNT, "width": _COUNT, "height": _COUNT, "fps": _NUMBER, "codec": _STRING,
    "pix_fmt": _STRING, "time_base": _STRING, "duration": _NUMBER, "checkpoint": _STRING,
    "f_counter_start": _COUNT, "f_counter_end": _COUNT, "session": _COUNT, "sha256": _STRING,
    "created": _STRING,
}  # fmt: skip


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class SegmentRecord:
    """One movie segment as the manifest describes it.

    ``index`` numbers segments in recording order and is never reused; ``path`` is relative to the
    manifest's folder. ``video`` and ``sha256`` stay None while the segment is recording and are
    set by :meth:`describe` when it is closed (from what the renderer wrote, or from a probe of
    the file). ``video.path`` is where the file was when it was described (read from a manifest:
    the manifest's folder joined with ``path``).
    """

    index: int
    path: str
    status: str = "recording"
    video: VideoInfo | None = None
    checkpoint: str | None = None
    f_counter_start: int | None = None
    f_counter_end: int | None = None
    session: int | None = None
    sha256: str | None = None
    created: str | None = field(default_factory=_now)

    def describe(self, video: VideoInfo) -> None:
        """Record what the segment's file holds, and its checksum.

        Raises
        ------
        StitchError
            If the file cannot be read for its checksum.
        """
        from .probe import sha256_file

        self.video, self.sha256 = video, sha256_file(video.path)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready mapping stored in the manifest (media fields None if unknown)."""
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "video":
                data.update({name: getattr(self.video, name, None) for name in _MEDIA_FIELDS})
            else:
                data[f.name] = getattr(self, f.name)
        return data

    @classmethod
    def from_dict(cls, d: Any, source: str | os.PathLike[str]) -> SegmentRecord:
        """Build a record from its manifest entry, checking every field.

        Parameters
        ----------
        d
            The entry as read from JSON.
        source
            The manifest file, named in error messages.

        Raises
        ------
        ManifestError
            If the entry is not a mapping, lacks ``index``/``path``, or a field has the wrong
            type or value; the message names the manifest file and the entry.
        """
        if not isinstance(d, dict):
            raise ManifestError(_bad(source, "a segment entry", "is not a JSON object"))
        names = _ENTRY_FIELDS
        unknown = sorted(set(d) - names - set(_MEDIA_FIELDS))
        if unknown:
            raise ManifestError(
                _bad(source, f"segment {d.get('index')!r:.40}", f"has unknown fields {unknown[:5]}")
            )
        for key in ("index", "path"):
            if key not in d:
                raise ManifestError(_bad(source, "a segment entry", f"has no '{key}'"))
        record = cls(**{key: value for key, value in d.items() if key in names})
        record._validate(source)
        record.video = _video_of_entry(d, record.path, source, f"segment {record.index}")
        return record

    def _validate(self, source: str | os.PathLike[str]) -> None:
        where = f"segment {self.index!r:.40}"
        if not _is_count(self.index) or self.index < 1:
            raise ManifestError(_bad(source, where, "has an index that is not an integer >= 1"))
        problem = segment_path_problem(self.path)
        if problem is not None:
            shown = f"{self.path!r:.80}"
            raise ManifestError(_bad(source, where, f"has a path that {problem}: {shown}"))
        if self.status not in STATUSES:
            allowed = ", ".join(STATUSES)
            shown = f"{self.status!r:.40}"
            raise ManifestError(_bad(source, where, f"has status {shown}, not {allowed}"))
        values = {name: getattr(self, name) for name in _FIELD_CHECKS if name not in _MEDIA_FIELDS}
        if self.video is not None:
            values.update({name: getattr(self.video, name) for name in _MEDIA_FIELDS})
        _check_fields(values, source, where)


_ENTRY_FIELDS = frozenset(f.name for f in dataclasses.fields(SegmentRecord)) - {"video"}
"""The fields of an entry that are fields of the record itself (the rest describe the video)."""


def _video_of_entry(
    d: dict[str, Any], path: str, source: str | os.PathLike[str], where: str
) -> VideoInfo | None:
    """The media fields of a manifest entry as a description of ``path``; None if all are null.

    Raises
    ------
    ManifestError
        If a field has the wrong type, or some are given and others are not.
    """
    media: dict[str, Any] = {name: d.get(name) for name in _MEDIA_FIELDS}
    _check_fields(media, source, where)
    missing = [name for name, value in media.items() if value is None]
    if len(missing) == len(media):
        return None
    if missing:
        raise ManifestError(_bad(source, where, f"has no {', '.join(missing)}"))
    file = Path(source).parent / path  # checked: relative, POSIX style, inside the folder
    return VideoInfo(file, **media)


def _check_fields(values: dict[str, Any], source: str | os.PathLike[str], where: str) -> None:
    """Refuse a value of the wrong type or range (None means unknown and is accepted)."""
    for name, value in values.items():
        is_ok, kind = _FIELD_CHECKS[name]
        if value is not None and not is_ok(value):
            raise ManifestError(_bad(source, where, f"has {name}={value!r:.80}, not {kind}"))


def _bad(source: str | os.PathLike[str], where: str, what: str) -> str:
    return (
        f"Movie manifest {source}: {where} {what}. Restore the file from a backup, or stitch the "
        "segment files directly with 'stitch-movies A.ts B.ts -o OUT.mp4'."
    )
