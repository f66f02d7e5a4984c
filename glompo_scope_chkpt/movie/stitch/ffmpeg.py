"""Joining movie segments with ffmpeg, and verifying the joined movie before it is kept.

The one concern here is running ffmpeg once a stitch has been planned: recovering the complete
frames of a segment cut short, the concat demuxer stream copy, the concat filter re-encode that
normalises every segment to one size and frame rate (with progress reports), and the probe that
compares the written movie with its parts before it is renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from ..._disk import disk_errno, disk_error
from ..._ffmpeg import ffmpeg_process, run_ffmpeg, stderr_of
from ..._fileio import atomic_path
from ..._logging import get_logger
from ..._run_files import MOVIE_FORMATS
from ...errors import FFmpegError, StitchDiskError, StitchError
from ..video.colour import PIX_FMT, SCALE_TO_OURS, tagging_filters
from ..video.probe import probe
from ..video.video_info import VideoInfo
from .plan import StitchReport, _same_fps

__all__: list[str] = []  # helpers of :func:`~.stitch.stitch` only

_log = get_logger(__name__)

_CRF_CODECS = {"libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1"}
_PRESET_CODECS = {"libx264", "libx265"}

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


def _copy_args(listing: Path, tmp: Path, fmt: str) -> list[str]:
    import ffmpeg

    options = {"c": "copy", "f": fmt}
    if fmt in ("mp4", "mov"):
        options["movflags"] = "+faststart"
    node = ffmpeg.input(str(listing), f="concat", safe=0).video.output(str(tmp), **options)
    return ["-loglevel", "error", "-y", *node.get_args()]


def _reencode_args(
    infos: Sequence[VideoInfo],
    tmp: Path,
    fmt: str,
    plan: tuple[tuple[int, int], float],
    codec: str,
    crf: int,
    preset: str | None,
) -> list[str]:
    import ffmpeg

    (width, height), fps = plan
    rate = str(Fraction(fps).limit_denominator(100_000))
    streams = []
    for info in infos:
        stream = (
            ffmpeg.input(str(info.path.resolve()))
            .video.filter("setpts", "PTS-STARTPTS")
            .filter(
                "scale",
                width,
                height,
                force_original_aspect_ratio="decrease",
                force_divisible_by=2,
                **SCALE_TO_OURS,
            )
            .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2")
            .filter("setsar", 1)
            .filter("fps", fps=rate)
        )
        for name, step in tagging_filters():
            stream = stream.filter(name, **step)
        streams.append(stream)
    joined = ffmpeg.concat(*streams, v=1, a=0) if len(streams) > 1 else streams[0]
    options: dict[str, object] = {"vcodec": codec, "pix_fmt": PIX_FMT, "f": fmt}
    if codec in _CRF_CODECS:
        options["crf"] = crf
    if preset and codec in _PRESET_CODECS:
        options["preset"] = preset
    if fmt in ("mp4", "mov"):
        options["movflags"] = "+faststart"
    node = joined.output(str(tmp), **options)
    return ["-y", "-progress", "pipe:1", "-nostats", *node.get_args()]


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


def _write(
    parts: Sequence[VideoInfo],
    output: Path,
    fmt: str,
    use_copy: bool,
    plan: tuple[tuple[int, int], float],
    encoding: tuple[str, int, str | None],
    progress: ProgressCallback | None,
    work: Path,
) -> StitchReport:
    with _disk_errors(output), atomic_path(output) as tmp:
        if use_copy:
            try:
                run_ffmpeg(_copy_args(_concat_list(parts, work), tmp, fmt))
            except FFmpegError as exc:  # an ffmpeg older than 5.0 knows no per-file options
                if disk_errno(exc) is not None:
                    raise
                run_ffmpeg(_copy_args(_concat_list(parts, work, quick_open=False), tmp, fmt))
            report = _verify(tmp, parts, parts[0].fps, "copy", output)
            if progress is not None:
                progress(1.0)
        else:
            args = _reencode_args(parts, tmp, fmt, plan, *encoding)
            _run_reencode(args, sum(p.duration for p in parts), progress)
            report = _verify(tmp, parts, plan[1], "reencode", output)
    return report
