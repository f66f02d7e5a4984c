"""The one description of a movie file, shared by the segment writer, the probe and the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["VideoInfo"]


@dataclass(frozen=True)
class VideoInfo:
    """A movie file's first video stream: what listing, checking and stitching it needs.

    Attributes
    ----------
    path
        The file described.
    codec
        Codec name as FFmpeg spells it, e.g. ``"h264"``.
    width, height
        Frame size in pixels.
    pix_fmt
        Pixel format, e.g. ``"yuv420p"``.
    fps
        Frame rate (frames per second).
    time_base
        Time base of the stream's timestamps, e.g. ``"1/90000"``.
    frames
        Number of complete frames: video packets, without corrupt ones (e.g. the last sample of an
        mp4 cut short) and without the trailing partial packet of a cut MPEG-TS.
    duration
        Seconds from the first frame's start to the last frame's end.
    truncated
        True when the file was cut while being written (e.g. by a hard kill): an MPEG-TS whose
        size is not a whole number of TS packets, or any file with corrupt packets. Only its
        ``frames`` complete frames can be stitched.
    has_audio
        Whether the file also holds an audio stream (stitching keeps only the video).
    """

    path: Path
    codec: str
    width: int
    height: int
    pix_fmt: str
    fps: float
    time_base: str
    frames: int
    duration: float
    truncated: bool = False
    has_audio: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.width, self.height
