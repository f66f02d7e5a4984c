"""Checking, before a run starts, that its movie can be recorded and stitched.

A codec the segments' container cannot hold (VP9 in MPEG-TS is written, but cannot be read
back), an encoder the ffmpeg binary lacks, or a codec the movie's container cannot take would
otherwise stop the run at its first checkpoint or at the final stitch, hours later. So the
recording is tried once: one frame is encoded by the real :class:`~.segment_writer.SegmentWriter`,
the segment is probed, and, unless the movie is MPEG-TS too, stream-copied into the movie's
container and probed again, in a temporary folder inside the checkpointing directory (where the
segments will be). The outcome is kept per (ffmpeg binary, codec, container) for the life of the
process. When the ``ffmpeg`` found on ``PATH`` fails and the bundled one succeeds,
the bundled one is used from then on (with one warning).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._ffmpeg import bundled_instead_of, ffmpeg_exe, pass_over, run_ffmpeg, stderr_of
from .._run_files import MOVIE_FORMATS, SEGMENT_FORMAT, SEGMENT_SUFFIX
from .._tempfiles import scratch_dir
from ..errors import FFmpegError, InvalidSettingError, StitchError
from .video.probe import probe
from .video.segment_writer import SegmentWriter

__all__ = ["check_recording"]

_WIDTH, _HEIGHT = 128, 96
_USE = "Use an H.264 or HEVC encoder such as 'libx264' (the default) or 'libx265'."
_OUTCOMES: dict[tuple[str, str, str], str | None] = {}
"""What each trial found, by (ffmpeg binary, codec, muxer of the movie); None: it worked."""


def _trial_frame() -> bytes:
    """A colour gradient: tiny uniform frames can leave a segment too small to probe."""
    rows, cols = np.mgrid[0:_HEIGHT, 0:_WIDTH]
    alpha = np.full_like(rows, 255)
    return np.stack([cols * 2, rows * 2, cols + rows, alpha], axis=-1).astype(np.uint8).tobytes()


def _record_segment(exe: str, codec: str, folder: Path) -> tuple[Path | None, str | None]:
    """Encode one frame into a segment; return it, or None and what went wrong."""
    segment = folder / f"trial{SEGMENT_SUFFIX}"
    try:
        with SegmentWriter(segment, _WIDTH, _HEIGHT, codec=codec, ffmpeg=exe) as writer:
            writer.write(_trial_frame())
    except (FFmpegError, OSError) as exc:
        return None, f"ffmpeg failed to encode a frame:\n{stderr_of(exc)}"
    try:
        frames = probe(segment).frames
    except StitchError:
        return None, f"the {SEGMENT_FORMAT} segment it writes holds no readable video"
    if frames != 1:
        return None, f"the {SEGMENT_FORMAT} segment it writes holds {frames} frames, not 1"
    return segment, None


def _trial(exe: str, codec: str, muxer: str, folder: Path) -> str | None:
    """Record one frame with ``codec`` and put it in a ``muxer`` movie; say why not, or None."""
    with scratch_dir(folder, "recording-check") as work:
        segment, problem = _record_segment(exe, codec, work)
        if segment is None or muxer == SEGMENT_FORMAT:
            return problem
        movie = segment.with_name("trial.movie")
        copy = ["-loglevel", "error", "-i", str(segment), "-map", "0:v:0", "-c", "copy"]
        try:
            run_ffmpeg([*copy, "-f", muxer, str(movie)], exe=exe)
            probe(movie)
        except (FFmpegError, StitchError) as exc:
            return f"its segments cannot be copied into a {muxer} movie:\n{stderr_of(exc)}"
    return None


def _outcome(exe: str, codec: str, muxer: str, folder: Path) -> str | None:
    """:func:`_trial`'s answer, tried once per (ffmpeg binary, codec, container)."""
    key = (exe, codec, muxer)
    if key not in _OUTCOMES:
        _OUTCOMES[key] = _trial(exe, codec, muxer, folder)
    return _OUTCOMES[key]


def check_recording(codec: str, outfile: str, folder: Path) -> None:
    """Refuse now a movie the run could not record or stitch.

    Parameters
    ----------
    codec
        ``writer_kwargs['codec']``: the ffmpeg encoder of the segments.
    outfile
        ``movie_kwargs['outfile']``, already checked to end in a suffix of ``MOVIE_FORMATS``.
    folder
        An existing, writable folder for the trial's files (removed afterwards).

    Raises
    ------
    InvalidSettingError
        If ``codec`` cannot record a segment that reads back, or its segments cannot be copied
        into the movie's container; the message names the option, ffmpeg's words and what to use.
    FFmpegNotFoundError
        If no ffmpeg binary is available.
    """
    muxer = MOVIE_FORMATS[os.path.splitext(outfile)[1].lower()]
    exe = ffmpeg_exe()
    problem = _outcome(exe, codec, muxer, folder)
    if problem is None:
        return
    bundled = bundled_instead_of(exe)
    if bundled is not None and _outcome(bundled, codec, muxer, folder) is None:
        pass_over(exe, f"cannot record with {codec!r} ({problem.splitlines()[-1]})")
        return
    raise InvalidSettingError(
        f"visualisation_args['writer_kwargs.codec'] = {codec!r} cannot record the movie "
        f"{outfile!r} with {exe}: {problem}\n{_USE}"
    )
