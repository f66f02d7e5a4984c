"""Stitching movie segments into one movie with ffmpeg, and checking the result.

Two ways, chosen per call:

stream copy
    The concat demuxer copies the packets without decoding: I/O bound, lossless. It is only
    correct when every segment has the same codec, size, pixel format, frame rate and time base;
    otherwise ffmpeg still exits 0 but writes a broken movie, so compatibility is checked first.
re-encode
    The concat filter decodes every segment, scales and pads it to one size (even dimensions,
    square pixels), resamples it to one frame rate and encodes it again (libx264, yuv420p).

Either way the movie is written to a temporary file beside ``output``, probed and compared with
the parts (frames, duration), and only then renamed into place. A segment cut short by a hard
kill is first copied without its incomplete last frame.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import FFmpegError, StitchError
from ..ffmpeg import ffmpeg_process, run_ffmpeg
from ..fileio import TMP_MARK, atomic_path
from .probe import VideoInfo, probe

__all__ = [
    "MODES",
    "OUTPUT_FORMATS",
    "StitchReport",
    "check_output",
    "incompatibility",
    "plan_size_fps",
    "stitch",
]

_log = logging.getLogger(__name__)

MODES = ("auto", "copy", "reencode")
OUTPUT_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".ts": "mpegts"}
"""Output suffixes understood, and the ffmpeg muxer each one uses."""

_CRF_CODECS = {"libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1"}
_PRESET_CODECS = {"libx264", "libx265"}
_FPS_RTOL = 1e-3

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class StitchReport:
    """What :func:`stitch` wrote.

    Attributes
    ----------
    output
        The stitched movie.
    mode_used
        ``"copy"`` or ``"reencode"``.
    frames, duration
        Frames and seconds of the output, as probed.
    expected_frames, expected_duration
        What the parts add up to (at the output frame rate when re-encoding changed it).
    verified
        True when the output was probed and matched the parts.
    size, fps
        Frame size and frame rate of the output.
    """

    output: Path
    mode_used: str
    frames: int
    duration: float
    expected_frames: int
    verified: bool
    expected_duration: float = 0.0
    size: tuple[int, int] = (0, 0)
    fps: float = 0.0


def _even(value: int) -> int:
    return value + value % 2


def _same_fps(a: float, b: float) -> bool:
    return abs(a - b) <= _FPS_RTOL * max(a, b)


def plan_size_fps(
    infos: Sequence[VideoInfo],
    fps: float | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[tuple[int, int], float]:
    """Return the output size and frame rate: as given, else the largest input's and the highest.

    Sizes are rounded up to even numbers (yuv420p needs them).
    """
    if size is None:
        largest = max(infos, key=lambda i: i.width * i.height)
        size = (largest.width, largest.height)
    return (_even(int(size[0])), _even(int(size[1]))), float(fps or max(i.fps for i in infos))


def incompatibility(
    infos: Sequence[VideoInfo],
    fps: float | None = None,
    size: tuple[int, int] | None = None,
) -> str | None:
    """Say why the inputs cannot be stream-copied into one movie, or return None if they can.

    Parameters
    ----------
    infos
        Probes of the inputs, in order.
    fps, size
        A frame rate or size asked for the output; stream copy cannot change them.
    """
    first = infos[0]
    for info in infos[1:]:
        for attr in ("codec", "width", "height", "pix_fmt", "time_base"):
            if getattr(info, attr) != getattr(first, attr):
                return (
                    f"{info.path} has {attr} {getattr(info, attr)}, {first.path} has "
                    f"{getattr(first, attr)}"
                )
        if not _same_fps(info.fps, first.fps):
            return f"{info.path} runs at {info.fps:g} fps, {first.path} at {first.fps:g} fps"
    if fps is not None and not _same_fps(fps, first.fps):
        return f"the inputs run at {first.fps:g} fps, not the {fps:g} fps asked for"
    if size is not None and tuple(size) != first.size:
        return f"the inputs are {first.width}x{first.height}, not the {size[0]}x{size[1]} asked for"
    return None


def _check_request(mode: str, fps: float | None, size: tuple[int, int] | None, crf: int) -> None:
    if mode not in MODES:
        raise StitchError(f"Unknown stitch mode {mode!r}: use one of {', '.join(MODES)}.")
    if fps is not None and not fps > 0:
        raise StitchError(f"The frame rate must be > 0, got {fps!r}.")
    if size is not None and (len(size) != 2 or min(size) <= 0):
        raise StitchError(f"The size must be two positive numbers (width, height), got {size!r}.")
    if not 0 <= crf <= 63:
        raise StitchError(f"crf must be between 0 and 63, got {crf!r}.")


def check_output(inputs: Sequence[Path], output: Path, force: bool) -> str:
    """Check that ``output`` may be written; return the ffmpeg muxer its suffix selects.

    Raises
    ------
    StitchError
        If the suffix is unknown, the folder is missing, ``output`` is a folder or one of the
        ``inputs``, or it exists and ``force`` is False.
    """
    fmt = OUTPUT_FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise StitchError(
            f"Cannot tell the movie format of {output}: name it with one of "
            f"{', '.join(OUTPUT_FORMATS)} (e.g. .mp4)."
        )
    if not output.parent.is_dir():
        raise StitchError(f"Cannot write {output}: the folder {output.parent} does not exist.")
    if output.is_dir():
        raise StitchError(f"Cannot write {output}: it is a folder; give a file name.")
    target = output.resolve()
    for path in inputs:
        same = path.resolve() == target
        if not same and output.exists() and path.exists():
            same = os.path.samefile(path, output)
        if same:
            raise StitchError(f"The output {output} is also an input: choose another output.")
    if output.exists() and not force:
        raise StitchError(
            f"{output} already exists: choose another output, or replace it with force=True "
            "(stitch-movies --force)."
        )
    return fmt


def _remux_complete_frames(info: VideoInfo, folder: Path, number: int) -> VideoInfo:
    """Copy the complete frames of a movie cut short into ``folder``; return the copy's probe."""
    suffix = info.path.suffix.lower() if info.path.suffix.lower() in OUTPUT_FORMATS else ".mkv"
    part = folder / f"part{number:04d}{suffix}"
    _log.warning(
        "%s was cut short (a killed recording?): using its %d complete frames",
        info.path,
        info.frames,
    )
    source = ["-fflags", "+discardcorrupt", "-i", str(info.path.resolve())]
    copy = ["-map", "0:v:0", "-c", "copy", "-frames:v", str(info.frames)]
    run_ffmpeg(["-loglevel", "error", *source, *copy, "-f", OUTPUT_FORMATS[suffix], str(part)])
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
                "scale", width, height, force_original_aspect_ratio="decrease", force_divisible_by=2
            )
            .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2")
            .filter("setsar", 1)
            .filter("fps", fps=rate)
            .filter("format", "yuv420p")
        )
        streams.append(stream)
    joined = ffmpeg.concat(*streams, v=1, a=0) if len(streams) > 1 else streams[0]
    options: dict[str, object] = {"vcodec": codec, "pix_fmt": "yuv420p", "f": fmt}
    if codec in _CRF_CODECS:
        options["crf"] = crf
    if preset and codec in _PRESET_CODECS:
        options["preset"] = preset
    if fmt in ("mp4", "mov"):
        options["movflags"] = "+faststart"
    node = joined.output(str(tmp), **options)
    return ["-y", "-progress", "pipe:1", "-nostats", *node.get_args()]


def _stderr_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def _run_reencode(args: list[str], total: float, progress: ProgressCallback | None, work: Path):
    """Run ffmpeg, turning its ``-progress`` lines into fractions of ``total`` seconds."""
    errors = work / "ffmpeg-stderr.txt"
    try:
        with (
            open(errors, "wb") as err,
            ffmpeg_process(args, stdout=subprocess.PIPE, stderr=err) as proc,
        ):
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
        raise FFmpegError(f"{head}\nstderr (last lines):\n{_stderr_tail(errors)}") from None


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
    with atomic_path(output) as tmp:
        if use_copy:
            try:
                run_ffmpeg(_copy_args(_concat_list(parts, work), tmp, fmt))
            except FFmpegError:  # an ffmpeg older than 5.0 knows no per-file options
                run_ffmpeg(_copy_args(_concat_list(parts, work, quick_open=False), tmp, fmt))
            report = _verify(tmp, parts, parts[0].fps, "copy", output)
            if progress is not None:
                progress(1.0)
        else:
            args = _reencode_args(parts, tmp, fmt, plan, *encoding)
            _run_reencode(args, sum(p.duration for p in parts), progress, work)
            report = _verify(tmp, parts, plan[1], "reencode", output)
    return report


def stitch(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    mode: str = "auto",
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    codec: str = "libx264",
    crf: int = 20,
    force: bool = False,
    progress: ProgressCallback | None = None,
    preset: str | None = "veryfast",
    infos: Sequence[VideoInfo] | None = None,
) -> StitchReport:
    """Stitch movie files, in order, into one movie and verify it.

    Parameters
    ----------
    inputs
        The movie files, in playing order (any container FFmpeg reads).
    output
        The movie to write; its suffix picks the container (``.mp4``, ``.mkv``, ``.mov``, ``.ts``).
    mode
        ``"auto"`` (stream copy when the inputs are compatible, else re-encode; a copy that fails
        verification is redone by re-encoding), ``"copy"`` or ``"reencode"``.
    fps, size
        Output frame rate and ``(width, height)``; default: the highest input frame rate and the
        largest input's size. Smaller inputs are scaled to fit and padded (re-encode only).
    codec, crf, preset
        Encoder settings for re-encoding (yuv420p output).
    force
        Replace ``output`` if it exists (only once the new movie has been verified).
    infos
        Probes of ``inputs`` already made (one per input, same order); probed here otherwise.
    progress
        Called with the finished fraction (0 to 1) while re-encoding, and with 1.0 at the end.

    Returns
    -------
    StitchReport
        The output, the mode used, and its probed frames and duration against the expected ones.

    Raises
    ------
    StitchError
        If an input is missing or unreadable, the output exists (without ``force``) or is an
        input, copy mode is asked for incompatible inputs, or the result does not verify. In
        every case ``output`` is left as it was.
    FFmpegError
        If ffmpeg fails; the message holds the command and its stderr.
    """
    _check_request(mode, fps, size, crf)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise StitchError("Nothing to stitch: give at least one movie file.")
    output = Path(output)
    fmt = check_output(paths, output, force)
    if infos is None:
        infos = [probe(p) for p in paths]
    elif len(infos) != len(paths):
        raise StitchError(f"Got {len(infos)} probes for {len(paths)} movie files.")
    for info in infos:
        if info.has_audio:
            _log.warning("%s has an audio stream: only the video is stitched", info.path)
    reason = incompatibility(infos, fps, size)
    if mode == "copy" and reason:
        raise StitchError(
            f"Cannot stream-copy these movies into {output}: {reason}. Re-encode them instead "
            "(mode='reencode', stitch-movies --mode reencode)."
        )
    plan = plan_size_fps(infos, fps, size)
    use_copy = mode == "copy" or (mode == "auto" and reason is None)
    prefix = f".{output.name}{TMP_MARK}work-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=output.parent) as folder:
        work = Path(folder)
        parts = [
            _remux_complete_frames(info, work, n) if info.truncated else info
            for n, info in enumerate(infos)
        ]
        encoding = (codec, crf, preset)
        try:
            report = _write(parts, output, fmt, use_copy, plan, encoding, progress, work)
        except (StitchError, FFmpegError) as exc:
            if not (use_copy and mode == "auto"):
                raise
            _log.warning("stream copy failed (%s); re-encoding instead", str(exc).splitlines()[0])
            report = _write(parts, output, fmt, False, plan, encoding, progress, work)
    _log.info(
        "stitched %d movies into %s (%s): %d frames, %.2f s, verified",
        len(paths), output, report.mode_used, report.frames, report.duration,
    )  # fmt: skip
    return report
