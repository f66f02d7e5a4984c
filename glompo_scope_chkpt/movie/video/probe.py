"""Probing movie files without ffprobe and without decoding them.

The bundled ffmpeg ships no ``ffprobe``, so movies are probed with PyAV (``av``), which links its
own FFmpeg libraries. Only the container headers and the packet index of the first video stream
are read: the frame count is the number of video packets, exact for the constant frame rate
streams the scope records, and cheap even for long movies (no frame is decoded).
"""

from __future__ import annotations

import hashlib
import os
from fractions import Fraction
from pathlib import Path

from ..._logging import get_logger
from ..._run_files import SEGMENT_FORMAT
from ...errors import NoFrameError, StitchError
from .av_errors import av_error_reason, is_no_frame
from .video_info import VideoInfo

__all__ = ["TS_PACKET_SIZE", "probe", "sha256_file"]

_log = get_logger(__name__)

TS_PACKET_SIZE = 188
"""Size in bytes of an MPEG-TS packet; a ``.ts`` file of another length was cut short."""

_CHUNK = 1 << 20
_OPEN_OPTIONS = {"fpsprobesize": "0"}


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB chunks.

    Raises
    ------
    StitchError
        If the file cannot be read; the message names it.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise StitchError(f"Cannot read movie file {path}: {exc.strerror or exc}.") from exc
    return digest.hexdigest()


def _import_av():
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a declared dependency
        raise StitchError("Probing movies needs PyAV: install it with 'pip install av'.") from exc
    return av


def _packet_times(container, stream) -> tuple[list[tuple[int | None, int]], int]:
    """Return ``(pts, duration)`` of every sound packet of ``stream``, and the corrupt count."""
    times: list[tuple[int | None, int]] = []
    corrupt = 0
    for packet in container.demux(stream):
        if packet.size == 0:  # the demuxer's final flush packet
            continue
        if packet.is_corrupt:  # e.g. the last sample of an mp4 cut short
            corrupt += 1
            continue
        pts = packet.pts if packet.pts is not None else packet.dts
        times.append((pts, packet.duration or 0))
    return times, corrupt


def _span(times: list[tuple[int | None, int]], frame_ticks: int) -> int | None:
    """Ticks from the earliest start to the latest end of the packets, or None if unknown."""
    stamped = [(pts, dur or frame_ticks) for pts, dur in times if pts is not None]
    if not stamped:
        return None
    first = min(pts for pts, _ in stamped)
    end = max(pts + dur for pts, dur in stamped)
    return end - first if end > first else None


def _declared_rates(stream) -> list[Fraction]:
    rates = (stream.average_rate, stream.guessed_rate, stream.base_rate)
    return [Fraction(rate) for rate in rates if rate]


def _frame_rate(
    times: list[tuple[int | None, int]], time_base: Fraction, declared: list[Fraction]
) -> Fraction | None:
    """Measure the frame rate from the timestamps; prefer a declared rate that agrees with it.

    Declared rates alone mislead: with few frames FFmpeg may report H.264's field rate (twice the
    frame rate), and a stitched mp4 may report a skewed average.
    """
    stamps = sorted(pts for pts, _ in times if pts is not None)
    if len(stamps) >= 2 and stamps[-1] > stamps[0]:
        ticks = stamps[-1] - stamps[0]
        measured = Fraction(len(stamps) - 1) / (ticks * time_base)
        tolerance = max(Fraction(1, 1000), Fraction(2, ticks))
    elif times and times[0][1] > 0:
        measured = 1 / (times[0][1] * time_base)
        tolerance = max(Fraction(1, 1000), Fraction(1, times[0][1]))
    else:
        return declared[0] if declared else None
    for rate in declared:
        if abs(rate - measured) <= tolerance * measured:
            return rate
    return measured.limit_denominator(1001 * 1000)


def _is_cut_transport_stream(path: Path, format_name: str) -> bool:
    return SEGMENT_FORMAT in format_name.split(",") and path.stat().st_size % TS_PACKET_SIZE != 0


def _read_info(av, path: Path) -> VideoInfo:
    # No frame is decoded to guess the frame rate: it is measured from the timestamps below.
    with av.open(str(path), mode="r", options=_OPEN_OPTIONS) as container:
        if not container.streams.video:
            raise StitchError(f"{path} holds no video stream: give a movie file.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        has_audio = bool(container.streams.audio)
        format_name = container.format.name
        declared = _declared_rates(stream)
        time_base = stream.time_base or Fraction(1, 1)
        times, corrupt = _packet_times(container, stream)
    cut_ts = _is_cut_transport_stream(path, format_name)
    if cut_ts and times:
        times.pop()  # the last frame's data is incomplete
    if not times:
        raise NoFrameError(f"{path} holds no complete video frame: it is empty or damaged.")
    rate = _frame_rate(times, time_base, declared)
    if rate is None:
        raise StitchError(f"{path}: the frame rate of its video stream is unknown.")
    span = _span(times, max(1, round(1 / (rate * time_base))))
    duration = float(span * time_base) if span is not None else float(len(times) / rate)
    return VideoInfo(
        path=path,
        codec=ctx.name,
        width=int(ctx.width),
        height=int(ctx.height),
        pix_fmt=str(ctx.pix_fmt),
        fps=float(rate),
        time_base=f"{time_base.numerator}/{time_base.denominator}",
        frames=len(times),
        duration=duration,
        truncated=cut_ts or corrupt > 0,
        has_audio=has_audio,
    )


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe the first video stream of a movie file without decoding it.

    Works for MPEG-TS, MP4, Matroska and anything else FFmpeg demuxes, including an MPEG-TS
    segment cut short by a hard kill.

    Parameters
    ----------
    path
        The movie file.

    Returns
    -------
    VideoInfo
        Codec, size, pixel format, frame rate, time base, exact frame count and duration.

    Raises
    ------
    NoFrameError
        If the file is empty or holds no complete frame (cut before its first one).
    StitchError
        If the file is missing, unreadable or holds no video stream; the message names the file
        and says why in words (never an FFmpeg error code).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a movie file" if path.is_dir() else "does not exist"
        raise StitchError(f"Movie file {path} {what}: check the path.")
    if path.stat().st_size == 0:
        raise NoFrameError(f"Movie file {path} is empty (0 bytes): it never received a frame.")
    av = _import_av()
    try:
        info = _read_info(av, path)
    except StitchError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        kind = NoFrameError if is_no_frame(exc) else StitchError
        raise kind(
            f"Cannot read movie file {path}: {av_error_reason(exc)}. It is not a movie or it is "
            "damaged."
        ) from exc
    _log.debug("probed %s: %s", path, info)
    return info
