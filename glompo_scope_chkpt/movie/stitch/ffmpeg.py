"""Joining movie segments with ffmpeg, and verifying the joined movie before it is kept.

The one concern here is running ffmpeg once a stitch has been planned (a :class:`Job`):
recovering the complete frames of a segment cut short, the concat demuxer stream copy, the
re-encode (a GIF in two passes) with progress reports, the chapters file placed on the output's
frames, and the probe that compares the written movie with its parts before it is renamed into
place. The command lines themselves are built in :mod:`.reencode`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..._disk import disk_errno, disk_error
from ..._ffmpeg import ffmpeg_process, run_ffmpeg, stderr_of
from ..._fileio import atomic_path
from ..._logging import get_logger
from ..._run_files import MOVIE_FORMATS
from ...errors import FFmpegError, StitchDiskError, StitchError
from ..video.probe import probe
from ..video.video_info import VideoInfo
from .chapters import CHAPTER_MUXERS, ChapterMark, part_starts, write_ffmetadata
from .encoding import Encoding
from .plan import StitchReport, _same_fps
from .reencode import Plan, copy_args, gif_args, palette_args, reencode_args, with_chapters

__all__: list[str] = []  # helpers of :func:`~.stitch.stitch` only

_log = get_logger(__name__)

ProgressCallback = Callable[[float], None]


def _remux_complete_frames(info: VideoInfo, folder: Path, number: int) -> VideoInfo:
    """Copy the complete frames of a movie cut short into ``folder``; return the copy's probe."""
    suffix = info.path.suffix.lower() if info.path.suffix.lower() in MOVIE_FORMATS else ".mkv"
    part = folder / f"part{number:04d}{suffix}"
    _log.warning(
        "%s was cut short (a killed recording?): using its %d complete frames",
        info.path,
        info.frames,
    )
    source = ["-fflags", "+discardcorrupt", "-i", str(info.path.resolve())]
    copy = ["-map", "0:v:0", "-c", "copy", "-frames:v", str(info.frames)]
    run_ffmpeg(["-loglevel", "error", *source, *copy, "-f", MOVIE_FORMATS[suffix], str(part)])
    fixed = probe(part)
    if fixed.frames != info.frames:
        raise StitchError(
            f"Could not recover the complete frames of {info.path}: expected {info.frames}, "
            f"got {fixed.frames}. Leave it out (stitch-movies --skip-bad)."
        )
    return fixed


def _concat_list(infos: Sequence[VideoInfo], folder: Path, quick_open: bool = True) -> Path:
    """Write a concat demuxer list naming every part by absolute path, quotes escaped.

    Each part's duration is given (so no part is misplaced by a container's estimate), and with
    ``quick_open`` ffmpeg is told not to decode frames to guess each part's frame rate.
    """
    lines = ["ffconcat version 1.0"]
    for info in infos:
        name = str(info.path.resolve())
        if "\n" in name or "\r" in name:
            raise StitchError(f"Cannot stitch {info.path}: rename it without line breaks.")
        lines.append("file '" + name.replace("'", "'\\''") + "'")
        if quick_open:
            lines.append("option fpsprobesize 0")
        lines.append(f"duration {info.duration:.6f}")
    listing = folder / "concat.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def _memory_file() -> BinaryIO:
    """A file held in memory, for ffmpeg's stderr: never on the disk the movie may have filled."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("ffmpeg-stderr"), "w+b")
    return tempfile.TemporaryFile()  # pragma: no cover - not Linux


def _stderr_tail(handle: BinaryIO, lines: int = 15) -> str:
    handle.seek(0)
    text = handle.read().decode("utf-8", errors="replace").strip()
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def _run_reencode(args: list[str], total: float, progress: ProgressCallback | None) -> None:
    """Run ffmpeg, turning its ``-progress`` lines into fractions of ``total`` seconds."""
    with _memory_file() as err:
        try:
            with ffmpeg_process(args, stdout=subprocess.PIPE, stderr=err) as proc:
                assert proc.stdout is not None  # started with stdout=PIPE
                for raw in proc.stdout:
                    key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                    if progress is None:
                        continue
                    if key == "out_time_us" and value.lstrip("-").isdigit() and total > 0:
                        progress(min(1.0, max(0.0, int(value) / 1e6 / total)))
                    elif key == "progress" and value == "end":
                        progress(1.0)
        except FFmpegError as exc:
            head = str(exc).split("\nstderr")[0]
            raise FFmpegError(f"{head}\nstderr (last lines):\n{_stderr_tail(err)}") from None


def _expected(infos: Sequence[VideoInfo], fps: float, reencode: bool) -> tuple[int, float, bool]:
    """Return (frames, seconds, whether the frame count is exact) the output should have."""
    seconds = sum(i.duration for i in infos)
    if not reencode or all(_same_fps(i.fps, fps) for i in infos):
        return sum(i.frames for i in infos), seconds, True
    return sum(round(i.duration * fps) for i in infos), seconds, False


def _verify(
    tmp: Path, infos: Sequence[VideoInfo], fps: float, mode: str, output: Path
) -> StitchReport:
    """Probe the written movie and compare it with the parts.

    Raises
    ------
    StitchError
        If the output cannot be read or its frames or duration differ from the parts'.
    """
    frames, seconds, exact = _expected(infos, fps, mode == "reencode")
    try:
        got = probe(tmp)
    except StitchError as exc:
        raise StitchError(f"The stitched movie for {output} cannot be read: {exc}") from exc
    # Exact frame counts leave only timestamp rounding (1 ms in Matroska) per join; a changed
    # frame rate may round each part by up to a frame.
    tolerance = 0.5 / fps + 0.002 * len(infos) if exact else len(infos) / fps + 0.05
    problems = []
    if exact and got.frames != frames:
        problems.append(f"{got.frames} frames instead of {frames}")
    if abs(got.duration - seconds) > tolerance:
        problems.append(f"{got.duration:.3f} s instead of {seconds:.3f} s")
    if problems:
        raise StitchError(
            f"The stitched movie for {output} did not verify ({'; '.join(problems)}); it was not "
            "written. Try re-encoding (mode='reencode', stitch-movies --mode reencode)."
        )
    return StitchReport(
        output, mode, got.frames, got.duration, frames, True, seconds, got.size, got.fps
    )


@contextlib.contextmanager
def _disk_errors(output: Path) -> Iterator[None]:
    """Name the disk, and show ffmpeg's own words, when stitching failed because of the disk."""
    try:
        yield
    except (FFmpegError, OSError) as exc:
        if disk_errno(exc) is None:
            raise
        said = stderr_of(exc).splitlines() if isinstance(exc, FFmpegError) else []
        detail = f"ffmpeg: {said[-1].strip()}" if said else ""
        then = "then stitch again"
        raise disk_error(StitchDiskError, "the stitched movie", output, exc, then, detail) from exc


@dataclass(frozen=True)
class Job:
    """One stitch as planned: the parts, where they go, and how.

    Attributes
    ----------
    parts
        The parts, in order (a part cut short already replaced by its complete frames).
    output, fmt
        The movie to write and its muxer.
    plan
        The output's size and frame rate when re-encoding.
    encoding
        The encoder settings when re-encoding.
    chapters
        The chapters to write (left out where the container has none).
    progress
        Called with the finished fraction.
    work
        A scratch folder for the concat list, the chapters and a GIF's palette.
    """

    parts: Sequence[VideoInfo]
    output: Path
    fmt: str
    plan: Plan
    encoding: Encoding
    chapters: Sequence[ChapterMark]
    progress: ProgressCallback | None
    work: Path


def _chapter_file(job: Job, exact: bool) -> Path | None:
    """Write the job's chapters for an output at its frame rate; None if there are none."""
    if not job.chapters or job.fmt not in CHAPTER_MUXERS:
        return None
    fps = job.plan[1] if not exact else job.parts[0].fps
    starts = part_starts(job.parts, fps, exact)
    total = starts[-1] + (job.parts[-1].frames if exact else round(job.parts[-1].duration * fps))
    return write_ffmetadata(job.chapters, starts, total, fps, job.work / "chapters.txt")


def _scaled(progress: ProgressCallback | None, low: float, high: float) -> ProgressCallback | None:
    """``progress`` for one pass of several: its fractions mapped onto ``low`` to ``high``."""
    if progress is None:
        return None
    return lambda fraction: progress(low + (high - low) * fraction)


def _encode(job: Job, tmp: Path) -> StitchReport:
    """Re-encode the parts into ``tmp`` (a GIF in two passes) and verify it."""
    seconds = sum(p.duration for p in job.parts)
    exact = all(_same_fps(p.fps, job.plan[1]) for p in job.parts)
    if job.fmt == "gif":
        palette = job.work / "palette.png"
        _run_reencode(
            palette_args(job.parts, palette, job.plan), seconds, _scaled(job.progress, 0, 0.3)
        )
        args = gif_args(job.parts, tmp, job.plan, palette)
        _run_reencode(with_chapters(args, None), seconds, _scaled(job.progress, 0.3, 1))
    else:
        args = reencode_args(job.parts, tmp, job.fmt, job.plan, job.encoding)
        _run_reencode(with_chapters(args, _chapter_file(job, exact)), seconds, job.progress)
    return _verify(tmp, job.parts, job.plan[1], "reencode", job.output)


def _copy(job: Job, tmp: Path) -> StitchReport:
    """Stream-copy the parts into ``tmp`` and verify it."""
    chapters = _chapter_file(job, exact=True)
    try:
        run_ffmpeg(
            with_chapters(copy_args(_concat_list(job.parts, job.work), tmp, job.fmt), chapters)
        )
    except FFmpegError as exc:  # an ffmpeg older than 5.0 knows no per-file options
        if disk_errno(exc) is not None:
            raise
        listing = _concat_list(job.parts, job.work, quick_open=False)
        run_ffmpeg(with_chapters(copy_args(listing, tmp, job.fmt), chapters))
    report = _verify(tmp, job.parts, job.parts[0].fps, "copy", job.output)
    if job.progress is not None:
        job.progress(1.0)
    return report


def _write(job: Job, use_copy: bool) -> StitchReport:
    """Write the job's movie by stream copy or re-encoding, verified, then renamed into place."""
    with _disk_errors(job.output), atomic_path(job.output) as tmp:
        return _copy(job, tmp) if use_copy else _encode(job, tmp)
