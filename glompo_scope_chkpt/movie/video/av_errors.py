"""Saying in words why PyAV (FFmpeg's libraries) could not read a movie file.

PyAV raises FFmpeg's error codes as ``OSError`` subclasses whose text starts with the raw code
(``[Errno 1094995529] Invalid data found when processing input: '/path'``): a number that means
nothing to a user. :func:`av_error_reason` turns one into a short phrase saying what was found,
and :func:`is_no_frame` tells the errors that mean the file holds no frame at all.
"""

from __future__ import annotations

__all__ = ["av_error_reason", "is_no_frame"]

_REASONS = {
    "InvalidDataError": "FFmpeg finds no movie data it can read in it",
    "EOFError": "it ends before its first complete frame",
    "FileNotFoundError": "it does not exist",
    "PermissionError": "it may not be read (permission denied)",
    "IsADirectoryError": "it is a folder",
    "DemuxerNotFoundError": "FFmpeg knows no container of this kind",
    "DecoderNotFoundError": "FFmpeg has no decoder for its video",
    "MemoryError": "FFmpeg ran out of memory reading it",
}
"""PyAV error class name -> what it says about the file."""

_NO_FRAME = frozenset({"InvalidDataError", "EOFError"})
"""PyAV errors a movie file cut before its first frame (or left empty) gives."""


def _av_name(exc: BaseException) -> str | None:
    """The name of the PyAV error class of ``exc``, or None if it is not a PyAV error."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "av.error" and cls.__name__ in _REASONS:
            return cls.__name__
    return None


def av_error_reason(exc: BaseException) -> str:
    """Return why ``exc`` (raised by PyAV while opening or reading a file) happened, in words.

    The raw FFmpeg error code and the path PyAV appends are left out; an error this module does
    not know is described by its text without them.
    """
    name = _av_name(exc)
    if name is not None:
        return _REASONS[name]
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '")[0].strip() or type(exc).__name__


def is_no_frame(exc: BaseException) -> bool:
    """Whether ``exc`` says the file holds no frame at all (empty or cut before its first)."""
    return _av_name(exc) in _NO_FRAME
