"""``glompo-scope-chkpt report RUN_DIR``: one self-contained HTML page about a run.

The page holds the movie with its chapters (sessions and checkpoints, as links that seek the
video), the timeline of sessions, checkpoints, resumes and superseded stretches, a table of the
optimizers read from the HDF5 log, the result, and the trajectory plots. It needs no server and
no network: pictures are embedded, and so is the movie when it is small (up to
:data:`EMBED_LIMIT`); a larger movie is linked by its path relative to the report, so the
default report (``RUN_DIR/report.html``) keeps working in a copy of the run folder.

Notes
-----
The one concern of this module is gathering what the page shows from the run folder (read
only) and writing it; the HTML itself is :mod:`.report_template`.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from .._fileio import atomic_write_text
from .._run_files import (
    CHECKPOINT_FOLDER,
    DEFAULT_MOVIE,
    LOG_FILENAME,
    MANIFEST_FILENAME,
    SUMMARY_FILENAME,
    TRAJECTORY_BEST_FILENAME,
    TRAJECTORY_FILENAME,
)
from ..errors import GloMPOError, InvalidSettingError
from ..movie.manifest import Manifest
from ..movie.segment_record import SegmentRecord

__all__ = ["EMBED_LIMIT", "REPORT_FILENAME", "Chapter", "ReportData", "gather", "write_report"]

REPORT_FILENAME = "report.html"
"""The report's name when ``-o`` is not given, in the run folder."""
EMBED_LIMIT = 8 << 20
"""Largest movie embedded in the page (8 MiB); a larger one is linked by a relative path."""
_VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mp4"}
"""Movies a browser plays, and the type the page gives them (H.264 in an MP4 family file)."""


@dataclass(frozen=True)
class Chapter:
    """A point of the movie to jump to: a session starting or a checkpoint."""

    seconds: float
    title: str


@dataclass
class ReportData:
    """Everything the page shows, read from one run folder."""

    run_dir: Path
    movie_src: str | None = None
    """The ``src`` of the video: a ``data:`` URI or a path relative to the report."""
    movie_name: str | None = None
    movie_info: dict[str, Any] = field(default_factory=dict)
    chapters: list[Chapter] = field(default_factory=list)
    segments: list[SegmentRecord] = field(default_factory=list)
    timeline: list[int] = field(default_factory=list)
    """Indices of the segments on the timeline (the rest are superseded or recording)."""
    ended: bool | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    optimizers: list[dict[str, Any]] = field(default_factory=list)
    plots: list[tuple[str, str]] = field(default_factory=list)
    """(file name, base64 PNG) of each trajectory plot."""
    notes: list[str] = field(default_factory=list)


def _usage(message: str) -> InvalidSettingError:
    return InvalidSettingError(message)


def gather(run_dir: Path, out: Path, embed_movie: bool = False) -> ReportData:
    """Read what the report shows from the run folder ``run_dir``; nothing is written.

    Raises
    ------
    InvalidSettingError
        If ``run_dir`` is not a run folder, or a file of it cannot be read; the message names it
        and what to do.
    """
    if not run_dir.is_dir():
        raise _usage(f"{run_dir} is not a folder: give the run's working folder (working_dir).")
    manifest_file = run_dir / CHECKPOINT_FOLDER / MANIFEST_FILENAME
    known = (run_dir / LOG_FILENAME, run_dir / SUMMARY_FILENAME, manifest_file)
    if not any(path.is_file() for path in known):
        raise _usage(
            f"{run_dir} holds no run: no {LOG_FILENAME}, {SUMMARY_FILENAME} or "
            f"{CHECKPOINT_FOLDER}/{MANIFEST_FILENAME}. Give the working_dir of a run made with "
            "summary_files >= 1 or record_movie=True."
        )
    data = ReportData(run_dir)
    try:
        _read_summary(data)
        _read_log(data)
        if manifest_file.is_file():
            _read_movie(data, Manifest.load(manifest_file), out, embed_movie)
    except GloMPOError as exc:
        raise _usage(f"Cannot report on {run_dir}: {exc}") from exc
    for name in (TRAJECTORY_FILENAME, TRAJECTORY_BEST_FILENAME):
        if (run_dir / name).is_file():
            data.plots.append((name, _base64(run_dir / name)))
    return data


def _base64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _read_summary(data: ReportData) -> None:
    """Result, statistics, sessions and checkpoints from the YAML summary."""
    path = data.run_dir / SUMMARY_FILENAME
    if not path.is_file():
        data.notes.append(f"No {SUMMARY_FILENAME}: the run ran with summary_files=0.")
        return
    try:
        summary = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _usage(
            f"Cannot read {path}: {exc}. Restore it, or remove it to report without it."
        ) from exc
    if not isinstance(summary, dict):
        raise _usage(f"{path} is not a summary of this package; remove it to report without it.")
    data.result = dict(summary.get("result") or {})
    data.stats = dict(summary.get("stats") or {})
    data.sessions = [s for s in summary.get("sessions") or [] if isinstance(s, dict)]
    data.checkpoints = [c for c in summary.get("checkpoints") or [] if isinstance(c, dict)]


def _read_log(data: ReportData) -> None:
    """One row per optimizer of the HDF5 log: type, start, end, reason, best value."""
    from ..log.format import read_log

    path = data.run_dir / LOG_FILENAME
    if not path.is_file():
        data.notes.append(f"No {LOG_FILENAME}: the run ran with summary_files < 3.")
        return
    for opt_id, group in sorted(read_log(path)["optimizers"].items()):
        attrs, values = group["attrs"], [float(v) for v in group["fx"]]
        finite = [v for v in values if not math.isnan(v)]
        end = attrs.get("end_call", -1)
        data.optimizers.append(
            {
                "id": opt_id,
                "type": attrs.get("type", ""),
                "start": attrs.get("start_call"),
                "end": None if end is None or end < 0 else end,
                "reason": attrs.get("end_reason", ""),
                "evaluations": len(values),
                "best": min(finite) if finite else None,
            }
        )


def _read_movie(data: ReportData, manifest: Manifest, out: Path, embed: bool) -> None:
    """The timeline, its chapters and the stitched movie (embedded or linked)."""
    data.segments = sorted(manifest.segments, key=lambda r: r.index)
    timeline = manifest.timeline()
    data.timeline, data.ended = [r.index for r in timeline], manifest.ended
    data.chapters = chapters(timeline)
    movie = data.run_dir / (manifest.outfile or DEFAULT_MOVIE)
    if not movie.is_file():
        data.notes.append(
            f"No stitched movie {movie.name}: the run has not ended, or was killed; "
            f"'stitch-movies {data.run_dir}' makes it, and the live playlist "
            f"{CHECKPOINT_FOLDER}/movie.m3u8 plays the segments."
        )
        return
    from ..movie.video.probe import probe

    info = probe(movie)
    data.movie_name = movie.name
    data.movie_info = {"duration": info.duration, "width": info.width, "height": info.height}
    data.movie_info.update(frames=info.frames, fps=info.fps)
    kind = _VIDEO_TYPES.get(movie.suffix.lower())
    if kind is not None and (embed or movie.stat().st_size <= EMBED_LIMIT):
        data.movie_src = f"data:{kind};base64,{_base64(movie)}"
    else:
        relative = os.path.relpath(movie.resolve(), out.resolve().parent)
        data.movie_src = quote(Path(relative).as_posix(), safe="/!$&'()*+,;=:@-._~")
        if kind is None:
            data.notes.append(f"{movie.name} is not a format browsers play: it is only linked.")


def chapters(timeline: list[SegmentRecord]) -> list[Chapter]:
    """The chapters of a timeline: each session's start and each checkpoint, at their second.

    A segment's place in the movie is the duration of the segments before it.
    """
    found: list[Chapter] = []
    seconds, session = 0.0, None
    for before, record in zip([None, *timeline], timeline, strict=False):
        if record.session != session:
            title = f"session {record.session}"
            if before is not None and before.checkpoint is not None:
                title += f", resumed from {before.checkpoint}{_at(record.f_counter_start)}"
            found.append(Chapter(seconds, title))
            session = record.session
        seconds += record.video.duration if record.video is not None else 0.0
        if record.checkpoint is not None:
            title = f"checkpoint {record.checkpoint}{_at(record.f_counter_end)}"
            found.append(Chapter(seconds, title))
    return found


def _at(f_counter: int | None) -> str:
    return "" if f_counter is None else f" at {f_counter:,} evaluations"


def write_report(run_dir: Path, out: Path | None = None, embed_movie: bool = False) -> Path:
    """Write the report of ``run_dir`` to ``out`` (default ``run_dir/report.html``) atomically.

    Raises
    ------
    InvalidSettingError
        If ``run_dir`` is not a readable run folder, or ``out``'s folder does not exist.
    OSError
        If the report cannot be written.
    """
    from .report_template import render

    out = run_dir / REPORT_FILENAME if out is None else out
    data = gather(run_dir, out, embed_movie)
    if not out.parent.is_dir():
        raise _usage(f"The folder of {out} does not exist: create it, or give another -o.")
    atomic_write_text(out, render(data))
    return out
