"""Planning a stitch: checking the request and the output, and choosing copy or re-encode.

The one concern here is deciding, before ffmpeg runs, what :func:`~.stitch.stitch` will do: the
modes and output containers understood, whether the inputs may be stream-copied
(:func:`incompatibility`), the output size and frame rate when re-encoding
(:func:`plan_size_fps`), whether ``output`` may be written (:func:`check_output`), and the
:class:`StitchReport` describing what was written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..._run_files import STITCH_FORMATS
from ...errors import StitchError
from ..video.video_info import VideoInfo

__all__ = [
    "MODES",
    "StitchReport",
    "check_crf",
    "check_output",
    "incompatibility",
    "plan_size_fps",
]

MODES = ("auto", "copy", "reencode")

_FPS_RTOL = 1e-3


@dataclass(frozen=True)
class StitchReport:
    """What :func:`~.stitch.stitch` wrote.

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
    output: Path | None = None,
) -> str | None:
    """Say why the inputs cannot be stream-copied into one movie, or return None if they can.

    Parameters
    ----------
    infos
        Probes of the inputs, in order.
    fps, size
        A frame rate or size asked for the output; stream copy cannot change them.
    output
        The movie to write: a format that needs its own encoder (``.webm``, ``.gif``) is
        always re-encoded.
    """
    needs = STITCH_FORMATS.get(output.suffix.lower(), ("", None))[1] if output else None
    if needs is not None:
        return f"a {output.suffix.lower()} movie is encoded with {needs}"  # type: ignore[union-attr]
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


_CRF_MAX = {"libx264": 51, "libx265": 51}
"""Largest crf an encoder takes where it is below the general 63."""


def check_crf(crf: int, codec: str) -> None:
    """Refuse a ``crf`` the encoder ``codec`` does not take.

    Raises
    ------
    StitchError
        If ``crf`` is outside 0..51 for libx264/libx265, or 0..63 for other encoders.
    """
    top = _CRF_MAX.get(codec, 63)
    if not 0 <= crf <= top:
        raise StitchError(f"crf must be between 0 and {top} for {codec}, got {crf!r}.")


def _check_request(
    mode: str, fps: float | None, size: tuple[int, int] | None, crf: int, codec: str
) -> None:
    if mode not in MODES:
        raise StitchError(f"Unknown stitch mode {mode!r}: use one of {', '.join(MODES)}.")
    if fps is not None and not fps > 0:
        raise StitchError(f"The frame rate must be > 0, got {fps!r}.")
    if size is not None and (len(size) != 2 or min(size) <= 0):
        raise StitchError(f"The size must be two positive numbers (width, height), got {size!r}.")
    check_crf(crf, codec)


def check_output(inputs: Sequence[Path], output: Path, force: bool) -> str:
    """Check that ``output`` may be written; return the ffmpeg muxer its suffix selects.

    Raises
    ------
    StitchError
        If the suffix is unknown, the folder is missing or not writable, ``output`` is a folder
        or one of the ``inputs``, or it exists and ``force`` is False.
    """
    fmt, _needs = STITCH_FORMATS.get(output.suffix.lower(), (None, None))
    if fmt is None:
        raise StitchError(
            f"Cannot tell the movie format of {output}: name it with one of "
            f"{', '.join(STITCH_FORMATS)} (e.g. .mp4)."
        )
    if not output.parent.is_dir():
        raise StitchError(f"Cannot write {output}: the folder {output.parent} does not exist.")
    if not os.access(output.parent, os.W_OK | os.X_OK):
        raise StitchError(
            f"Cannot write {output}: the folder {output.parent} is not writable; choose another "
            "output or fix the folder's permissions."
        )
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
