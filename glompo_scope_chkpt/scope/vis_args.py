"""The scope's ``visualisation_args``: defaults, validation and merging of overrides.

The keys are GloMPO's scope arguments, so scripts migrating from GloMPO keep their shape:

``x_range``
    ``None`` (the whole run), ``(min, max)`` (a fixed window of evaluation numbers) or a positive
    ``int`` ``n`` (a trailing window showing at least the last ``n`` evaluations).
``y_range``
    ``None`` (follow the data) or ``(min, max)``.
``log_scale``
    Logarithmic function-value axis, as in GloMPO: values ``<= 0`` have no logarithm and are left
    out (the title counts them), and ``y_range`` is given in powers of ten (``(-3, 2)`` shows
    ``1e-3`` to ``1e2``).
``record_movie``
    Record the scope into movie segments.
``interactive_mode``
    Show the scope in a window (needs a display; falls back to off-screen drawing with a warning).
``events_per_flush``
    Evaluations between two frames (>= 1): frame *k* shows the run as it stood right after
    evaluation ``k * events_per_flush`` (see :mod:`.frames`); the run's end adds one last frame.
``max_frames``
    ``None`` (every ``events_per_flush`` evaluations, however long the run) or an int ``N >= 2``:
    the first ``N`` frames keep that spacing, then the spacing doubles each time ``N / 2`` more
    frames were drawn, so a run of ``K * events_per_flush`` evaluations has about
    ``N * (1 + log2(K / N) / 2)`` frames. The rule depends only on the evaluation number, so
    the movie stays the same however often the run is interrupted.
``show_resumes``
    Draw the *resumed* line where a session continued from a checkpoint (default ``True``).
    With ``False`` a resumed run draws the frames of the same run uninterrupted, apart from the
    lines of checkpoints taken only because of the interruption.
``elitism``
    Plot each optimizer's best value so far instead of every value.
``writer_kwargs``
    ``fps`` (> 0), ``codec`` (an ffmpeg video encoder, default ``libx264``), ``bitrate`` (kbit/s,
    ``None`` for the encoder's default; GloMPO's ``-1`` means the same) and ``extra_args`` (extra
    ffmpeg output arguments, a list of strings, or ``None``).
``movie_kwargs``
    ``outfile`` (the final movie, default ``glomporecording.mp4``; its suffix must name a
    container the movie can be stitched into, such as ``.mp4`` or ``.mkv``), ``dpi`` (> 0,
    default 100) and ``figsize`` (width and height in inches, default ``(12, 8)``, i.e. 1200x800
    pixels at 100 dpi; the pixel size is rounded down to even numbers, as H.264 in yuv420p
    requires).
"""

from __future__ import annotations

import copy
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._run_files import DEFAULT_MOVIE, MOVIE_FORMATS
from ..errors import InvalidSettingError

__all__ = [
    "DEFAULT_VISUALISATION_ARGS",
    "check_recording_possible",
    "merge_visualisation_args",
    "validate_visualisation_args",
]

DEFAULT_VISUALISATION_ARGS: dict[str, Any] = {
    "x_range": None,
    "y_range": None,
    "log_scale": False,
    "record_movie": False,
    "interactive_mode": False,
    "events_per_flush": 10,
    "max_frames": None,
    "show_resumes": True,
    "elitism": False,
    "writer_kwargs": {"fps": 10, "codec": "libx264", "bitrate": None, "extra_args": None},
    "movie_kwargs": {"outfile": DEFAULT_MOVIE, "dpi": 100, "figsize": (12.0, 8.0)},
}
"""Every key with its default. Treat as read-only: :func:`validate_visualisation_args` copies it."""

_NESTED = ("writer_kwargs", "movie_kwargs")
_BOOLS = ("log_scale", "record_movie", "interactive_mode", "elitism", "show_resumes")
_MIN_PIXELS, _MAX_PIXELS = 32, 16384


def _fail(key: str, value: Any, expected: str) -> InvalidSettingError:
    return InvalidSettingError(
        f"visualisation_args[{key!r}] = {value!r} is not valid: expected {expected}. "
        "Fix the value passed as visualisation_args."
    )


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_keys(given: Mapping, known: Mapping, where: str) -> None:
    unknown = [key for key in given if key not in known]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        raise InvalidSettingError(
            f"Unknown {where} key(s) {names}; the known keys are: {', '.join(known)}."
        )


def _pair(key: str, value: Any, *, positive: bool = False) -> tuple[float, float]:
    what = "a pair of positive numbers" if positive else "None or a pair (min, max) with min < max"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise _fail(key, value, what)
    low, high = value
    if not (_is_real(low) and _is_real(high) and math.isfinite(low) and math.isfinite(high)):
        raise _fail(key, value, what)
    if (positive and (low <= 0 or high <= 0)) or (not positive and low >= high):
        raise _fail(key, value, what)
    return float(low), float(high)


def _check_top(out: dict[str, Any]) -> None:
    for key in _BOOLS:
        if not isinstance(out[key], (bool, np.bool_)):
            raise _fail(key, out[key], "True or False")
        out[key] = bool(out[key])
    x_range = out["x_range"]
    if _is_int(x_range):
        if x_range < 1:
            raise _fail("x_range", x_range, "a positive int (trailing window), None or (min, max)")
        out["x_range"] = int(x_range)
    elif x_range is not None:
        out["x_range"] = _pair("x_range", x_range)
    if out["y_range"] is not None:
        out["y_range"] = _pair("y_range", out["y_range"])
        if out["log_scale"] and max(map(abs, out["y_range"])) > 300:
            raise _fail("y_range", out["y_range"], "powers of ten within +-300 with log_scale")
    flush = out["events_per_flush"]
    if not _is_int(flush) or flush < 1:
        raise _fail("events_per_flush", flush, "an int >= 1")
    out["events_per_flush"] = int(flush)
    cap = out["max_frames"]
    if cap is not None:
        if not _is_int(cap) or cap < 2:
            raise _fail("max_frames", cap, "None or an int >= 2 (frames before thinning starts)")
        out["max_frames"] = int(cap)


def _check_writer(writer: dict[str, Any]) -> None:
    fps = writer["fps"]
    if not _is_real(fps) or not math.isfinite(fps) or fps <= 0:
        raise _fail("writer_kwargs.fps", fps, "a number > 0")
    codec = writer["codec"]
    if not isinstance(codec, str) or not codec.strip():
        raise _fail("writer_kwargs.codec", codec, "the name of an ffmpeg video encoder")
    bitrate = writer["bitrate"]
    if bitrate is not None and not (_is_real(bitrate) and (bitrate > 0 or bitrate == -1)):
        raise _fail("writer_kwargs.bitrate", bitrate, "None, -1 or a number of kbit/s > 0")
    writer["bitrate"] = None if bitrate is None or bitrate == -1 else bitrate
    extra = writer["extra_args"]
    if extra is not None:
        if isinstance(extra, (str, bytes)) or not isinstance(extra, Sequence):
            raise _fail("writer_kwargs.extra_args", extra, "None or a list of strings")
        if not all(isinstance(item, str) for item in extra):
            raise _fail("writer_kwargs.extra_args", extra, "None or a list of strings")
        writer["extra_args"] = list(extra)


def _check_movie(movie: dict[str, Any]) -> None:
    outfile = movie["outfile"]
    if not isinstance(outfile, (str, os.PathLike)):
        raise _fail("movie_kwargs.outfile", outfile, "a file name")
    outfile = os.fspath(outfile)
    if os.path.splitext(outfile)[1].lower() not in MOVIE_FORMATS:
        endings = ", ".join(MOVIE_FORMATS)
        raise _fail("movie_kwargs.outfile", outfile, f"a movie name ending in {endings}")
    movie["outfile"] = outfile
    dpi = movie["dpi"]
    if not _is_real(dpi) or not math.isfinite(dpi) or dpi <= 0:
        raise _fail("movie_kwargs.dpi", dpi, "a number > 0")
    figsize = _pair("movie_kwargs.figsize", movie["figsize"], positive=True)
    pixels = [round(side * dpi) for side in figsize]
    if not all(_MIN_PIXELS <= p <= _MAX_PIXELS for p in pixels):
        raise _fail(
            "movie_kwargs.figsize",
            movie["figsize"],
            f"a size giving {_MIN_PIXELS} to {_MAX_PIXELS} pixels a side at dpi {dpi} "
            f"(got {pixels[0]}x{pixels[1]})",
        )
    movie["figsize"] = figsize


def validate_visualisation_args(args: Mapping | None) -> dict[str, Any]:
    """Return the full, normalised ``visualisation_args`` with defaults filled in.

    Parameters
    ----------
    args
        User settings (any subset of the keys of :data:`DEFAULT_VISUALISATION_ARGS`), or ``None``
        for all defaults. Nested ``writer_kwargs`` / ``movie_kwargs`` may also be partial.

    Returns
    -------
    dict
        A new dict holding every key; pairs become tuples of floats, ``extra_args`` a list,
        ``outfile`` a string, a ``bitrate`` of ``-1`` becomes ``None``.

    Raises
    ------
    InvalidSettingError
        For an unknown key (the message names it and lists the known keys), a value of the wrong
        type or out of range.
    """
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise InvalidSettingError(
            f"visualisation_args must be a dict or None, not {type(args).__name__}."
        )
    _check_keys(args, DEFAULT_VISUALISATION_ARGS, "visualisation_args")
    out = copy.deepcopy(DEFAULT_VISUALISATION_ARGS)
    for key, value in args.items():
        if key in _NESTED:
            if not isinstance(value, Mapping):
                raise _fail(key, value, "a dict")
            _check_keys(value, DEFAULT_VISUALISATION_ARGS[key], f"visualisation_args[{key!r}]")
            out[key].update(copy.deepcopy(dict(value)))
        else:
            out[key] = copy.deepcopy(value)
    _check_top(out)
    _check_writer(out["writer_kwargs"])
    _check_movie(out["movie_kwargs"])
    return out


def merge_visualisation_args(saved: Mapping, overrides: Mapping | None) -> dict[str, Any]:
    """Merge ``overrides`` into ``saved`` key by key and validate the result.

    Top-level keys replace the saved values; ``writer_kwargs`` and ``movie_kwargs`` are merged key
    by key, so ``{"movie_kwargs": {"dpi": 150}}`` changes the dpi and keeps the saved ``outfile``.

    Parameters
    ----------
    saved
        The settings stored in a checkpoint (missing keys take their defaults).
    overrides
        New settings given when loading, or ``None``.

    Returns
    -------
    dict
        The full, validated settings.

    Raises
    ------
    InvalidSettingError
        If either mapping holds an unknown key or the merged result holds an invalid value.
    """
    merged = validate_visualisation_args(saved)
    if overrides is None:
        return merged
    if not isinstance(overrides, Mapping):
        raise InvalidSettingError(
            f"visualisation_args overrides must be a dict or None, not {type(overrides).__name__}."
        )
    _check_keys(overrides, DEFAULT_VISUALISATION_ARGS, "visualisation_args")
    for key, value in overrides.items():
        if key in _NESTED and isinstance(value, Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return validate_visualisation_args(merged)


def check_recording_possible(args: Mapping[str, Any], folder: Path) -> None:
    """Refuse now a movie that validated ``args`` describe but the run could not make.

    One frame is recorded with ``writer_kwargs['codec']`` and put in the container that
    ``movie_kwargs['outfile']`` names, with the ffmpeg the run will use (see
    :mod:`glompo_scope_chkpt.movie.recording_check`), so that a codec the segments or the movie
    cannot hold fails here instead of at the first checkpoint or the final stitch.

    Parameters
    ----------
    args
        The output of :func:`validate_visualisation_args`.
    folder
        An existing, writable folder for the trial's files (the checkpointing directory).

    Raises
    ------
    InvalidSettingError
        Naming the option, ffmpeg's own words and what to use instead.
    FFmpegNotFoundError
        If no ffmpeg binary is available.
    """
    from ..movie.recording_check import check_recording

    check_recording(args["writer_kwargs"]["codec"], args["movie_kwargs"]["outfile"], folder)
