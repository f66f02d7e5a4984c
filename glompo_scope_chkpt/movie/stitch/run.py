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

This module holds the entry point, :func:`stitch`, which runs those steps in order (and
:func:`stitch_timeline`, the stitch at the end of a run); the
planning (request and output checks, compatibility, :class:`~.plan.StitchReport`) is in
:mod:`.plan` and the ffmpeg runs and the verification are in :mod:`.ffmpeg`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..._logging import get_logger
from ..._tempfiles import scratch_dir
from ...errors import DiskWriteError, FFmpegError, StitchError
from ..manifest import Manifest
from ..video.probe import probe
from ..video.video_info import VideoInfo
from .chapters import ChapterMark, input_chapters, timeline_chapters
from .encoding import Encoding, output_codec
from .ffmpeg import Job, ProgressCallback, _remux_complete_frames, _write
from .plan import StitchReport, _check_request, check_output, incompatibility, plan_size_fps

__all__ = ["stitch", "stitch_timeline"]

_log = get_logger(__name__)


def stitch(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    mode: str = "auto",
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    codec: str | None = None,
    crf: int = 20,
    force: bool = False,
    progress: ProgressCallback | None = None,
    preset: str | None = "veryfast",
    infos: Sequence[VideoInfo] | None = None,
    chapters: Sequence[ChapterMark] | None = None,
    threads: int | None = None,
) -> StitchReport:
    """Stitch movie files, in order, into one movie and verify it.

    Parameters
    ----------
    inputs
        The movie files, in playing order (any container FFmpeg reads).
    output
        The movie to write; its suffix picks the container (``.mp4``, ``.mkv``, ``.mov``, ``.ts``,
        or, always re-encoded, ``.webm`` in VP9 and ``.gif`` through a palette pass).
    mode
        ``"auto"`` (stream copy when the inputs are compatible, else re-encode; a copy that fails
        verification is redone by re-encoding), ``"copy"`` or ``"reencode"``.
    fps, size
        Output frame rate and ``(width, height)``; default: the highest input frame rate and the
        largest input's size. Smaller inputs are scaled to fit and padded (re-encode only).
    codec, crf, preset
        Encoder settings for re-encoding (yuv420p output); ``codec`` defaults to the format's
        own (``libvpx-vp9`` for ``.webm``, ``gif`` for ``.gif``, else ``libx264``).
    threads
        Encoder threads; default every CPU the job has.
    force
        Replace ``output`` if it exists (only once the new movie has been verified).
    infos
        Probes of ``inputs`` already made (one per input, same order); probed here otherwise.
    progress
        Called with the finished fraction (0 to 1) while re-encoding, and with 1.0 at the end.
    chapters
        The chapters to write (e.g. :func:`~.chapters.timeline_chapters` of a run's timeline);
        None keeps the chapters the inputs carry, each moved to where its input starts. MPEG-TS
        and GIF outputs carry none.

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
    output = Path(output)
    codec = output_codec(output, codec)
    _check_request(mode, fps, size, crf, codec)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise StitchError("Nothing to stitch: give at least one movie file.")
    fmt = check_output(paths, output, force)
    if infos is None:
        infos = [probe(p) for p in paths]
    elif len(infos) != len(paths):
        raise StitchError(f"Got {len(infos)} probes for {len(paths)} movie files.")
    for info in infos:
        if info.has_audio:
            _log.warning("%s has an audio stream: only the video is stitched", info.path)
    reason = incompatibility(infos, fps, size, output)
    if mode == "copy" and reason:
        raise StitchError(
            f"Cannot stream-copy these movies into {output}: {reason}. Re-encode them instead "
            "(mode='reencode', stitch-movies --mode reencode)."
        )
    plan = plan_size_fps(infos, fps, size)
    use_copy = mode == "copy" or (mode == "auto" and reason is None)
    with scratch_dir(output.parent, f"{output.name}.work") as work:
        parts = [
            _remux_complete_frames(info, work, n) if info.truncated else info
            for n, info in enumerate(infos)
        ]
        marks = input_chapters(infos) if chapters is None else chapters
        encoding = Encoding(codec, crf, preset, threads)
        job = Job(parts, output, fmt, plan, encoding, marks, progress, work)
        try:
            report = _write(job, use_copy)
        except (StitchError, FFmpegError) as exc:
            if not (use_copy and mode == "auto") or isinstance(exc, DiskWriteError):
                raise  # a full disk is no codec mismatch: re-encoding would fail the same way
            _log.warning("stream copy failed (%s); re-encoding instead", str(exc).splitlines()[0])
            report = _write(job, False)
    _log.info(
        "stitched %d movies into %s (%s): %d frames, %.2f s, verified",
        len(paths), output, report.mode_used, report.frames, report.duration,
    )  # fmt: skip
    return report


def stitch_timeline(manifest: Manifest, output: Path) -> StitchReport | None:
    """Stitch the complete segments of ``manifest``'s timeline into ``output``, with chapters.

    Returns
    -------
    StitchReport or None
        What was written, or ``None`` (with a warning) when the timeline holds no segment.

    Raises
    ------
    StitchError
        If a segment changed on disk since it was listed (its SHA-256), or the stitch fails.
    """
    manifest.verify_files(checksums=True)  # a segment changed on disk is not stitched
    records = manifest.timeline()
    segments = [manifest.absolute(r) for r in records]
    if not segments:
        _log.warning("No movie segment was recorded: %s is not made.", output)
        return None
    chapters = timeline_chapters(records)
    return stitch(segments, output, mode="auto", force=True, chapters=chapters)
