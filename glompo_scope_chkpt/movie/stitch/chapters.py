"""Chapters of a stitched movie: one per session and per checkpoint, each on its exact frame.

A run's timeline is a list of segments; each knows its session, the checkpoint that closed it
and the evaluations it covers. A new chapter starts where a session starts or resumes
("session 2 — resumed from chk_003 at 7,200 evaluations") and after each checkpoint
("checkpoint chk_004 at 9,000 evaluations (session 2)"); a segment cut by a lost renderer
continues its chapter. Movie files stitched as they are keep the chapters they carry, moved to
where each file starts in the result.

A chapter's place is a frame of the output: its start is written in the output's own frame
time base (``TIMEBASE=1/fps`` in FFmpeg's metadata file), so it falls on that frame exactly,
whatever time base the container stores chapters in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..segment_record import SegmentRecord
from ..video.video_info import VideoInfo

__all__ = [
    "CHAPTER_MUXERS",
    "ChapterMark",
    "input_chapters",
    "part_starts",
    "read_chapters",
    "timeline_chapters",
    "write_ffmetadata",
]

CHAPTER_MUXERS = frozenset({"mp4", "mov", "matroska", "webm"})
"""The output containers that carry chapters (MPEG-TS and GIF have none)."""


@dataclass(frozen=True)
class ChapterMark:
    """A chapter to start in part ``part`` of a stitch, ``offset`` seconds into it."""

    part: int
    title: str
    offset: float = 0.0


def _at(record: SegmentRecord) -> str:
    start = record.f_counter_start
    return "" if start is None else f" at {start:,} evaluations"


def _title(record: SegmentRecord, previous: SegmentRecord | None) -> str | None:
    """The title of a chapter starting with ``record``, or None if it continues the last one."""
    session = record.session
    if previous is None:
        start = record.f_counter_start
        begun = "new run" if not start else f"from {start:,} evaluations"
        return f"session {session or 1} — {begun}"
    if session is not None and session != previous.session:
        source = f" from {previous.checkpoint}" if previous.checkpoint else ""
        return f"session {session} — resumed{source}{_at(record)}"
    if previous.checkpoint is not None:
        where = f" (session {session})" if session is not None else ""
        return f"checkpoint {previous.checkpoint}{_at(record)}{where}"
    return None


def timeline_chapters(records: Sequence[SegmentRecord]) -> list[ChapterMark]:
    """Return the chapters of a run's timeline ``records`` (the parts of the stitch, in order)."""
    marks = []
    for number, record in enumerate(records):
        title = _title(record, records[number - 1] if number else None)
        if title is not None:
            marks.append(ChapterMark(number, title))
    return marks


def read_chapters(path: str | os.PathLike[str]) -> list[tuple[float, float, str]]:
    """Return the chapters a movie file carries: ``(start s, end s, title)``, in order.

    A file PyAV cannot read has none (the probe reports what is wrong with it).
    """
    import av

    try:
        with av.open(str(path)) as container:
            found = container.chapters()
    except (av.error.FFmpegError, OSError):
        return []
    chapters = []
    for chapter in sorted(found, key=lambda c: c["start"]):
        base = Fraction(chapter["time_base"])
        title = chapter["metadata"].get("title", "")
        chapters.append((float(chapter["start"] * base), float(chapter["end"] * base), title))
    return chapters


def input_chapters(infos: Sequence[VideoInfo]) -> list[ChapterMark]:
    """Return the chapters the movie files ``infos`` carry, each in the part it came from."""
    return [
        ChapterMark(number, title, start)
        for number, info in enumerate(infos)
        for start, _end, title in read_chapters(info.path)
    ]


def part_starts(parts: Sequence[VideoInfo], fps: float, exact: bool) -> list[int]:
    """Return the output frame each part starts on.

    Parameters
    ----------
    parts
        The parts, in order.
    fps
        The output's frame rate.
    exact
        Whether every part keeps its frames (a copy, or a re-encode at the parts' own rate);
        otherwise each part starts at the frame nearest to the time it starts.
    """
    starts, frames, seconds = [], 0, 0.0
    for part in parts:
        starts.append(frames if exact else round(seconds * fps))
        frames += part.frames
        seconds += part.duration
    return starts


def _escape(text: str) -> str:
    """Escape a value for FFmpeg's metadata file (``=``, ``;``, ``#``, ``\\`` and line breaks)."""
    for char in "\\=;#":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\\n")


def write_ffmetadata(
    marks: Sequence[ChapterMark], starts: Sequence[int], total: int, fps: float, file: Path
) -> Path:
    """Write ``marks`` as an FFmpeg metadata file of chapters; return ``file``.

    Each chapter starts on frame ``starts[part] + round(offset * fps)`` of a movie of ``total``
    frames and ends where the next one starts (the last at the end); chapters that would start
    on the frame of the next one, or past the end, are left out.
    """
    rate = Fraction(fps).limit_denominator(100_000)
    frames = sorted(
        (min(total, starts[m.part] + round(m.offset * fps)), number)
        for number, m in enumerate(marks)
    )
    placed: dict[int, str] = {}
    for frame, number in frames:
        if frame < total:
            placed[frame] = marks[number].title  # a later mark on the same frame wins
    lines = [";FFMETADATA1"]
    ordered = sorted(placed)
    for position, frame in enumerate(ordered):
        end = ordered[position + 1] if position + 1 < len(ordered) else total
        lines += [
            "[CHAPTER]",
            f"TIMEBASE={rate.denominator}/{rate.numerator}",
            f"START={frame}",
            f"END={end}",
            f"title={_escape(placed[frame])}",
        ]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file
