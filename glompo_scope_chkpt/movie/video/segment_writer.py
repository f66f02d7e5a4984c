"""Movie segments written through an ffmpeg child.

A segment is an MPEG-TS file of H.264 (``yuv420p``, even size) encoded with
``-preset veryfast -tune zerolatency -flush_packets 1``: every frame leaves ffmpeg as soon as it is
encoded, so a segment survives its writer being killed. If only the Python side dies, ffmpeg sees
the end of its input and finishes the file; if ffmpeg is killed too, the file keeps all but about
the last frame and still decodes cleanly. ffmpeg runs in its own session, so a signal sent to the
manager's process group does not cut it short.

:class:`SegmentWriter` follows matplotlib's movie writers (``setup`` / ``grab_frame`` /
``finish`` and a ``saving`` context manager), but is fed pixels that were already rendered, so a
frame is drawn once, never twice. The process that feeds it lives in
:mod:`~glompo_scope_chkpt.scope.renderer`.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from ..._disk import disk_errno, disk_error
from ..._ffmpeg import ffmpeg_process
from ..._fileio import fsync_dir, fsync_path
from ..._logging import get_logger
from ..._run_files import SEGMENT_FORMAT
from ...errors import FFmpegError, InvalidSettingError, SegmentDiskError, SegmentExistsError
from .colour import PIX_FMT, from_rgb_filter
from .video_info import VideoInfo

__all__ = [
    "MPEGTS_TIME_BASE",
    "SegmentWriter",
    "codec_name",
]

log = get_logger(__name__)

MPEGTS_TIME_BASE = "1/90000"
"""Time base of every stream in an MPEG-TS file (its 90 kHz clock)."""

_LOW_LATENCY = {  # one encoder thread: as fast here (plots are easy), fewer threads to schedule
    "libx264": ["-preset", "veryfast", "-tune", "zerolatency", "-threads", "1"],
    "libx265": ["-preset", "veryfast", "-tune", "zerolatency"],
}
_CODEC_NAMES = dict(libx264="h264", libopenh264="h264", libx265="hevc", libaom_av1="av1")


def codec_name(encoder: str) -> str:
    """Return the codec an encoder writes, as probing names it (``libx264`` -> ``h264``)."""
    return _CODEC_NAMES.get(encoder.replace("-", "_"), encoder)


class SegmentWriter:
    """Writes one movie segment from RGBA frames through an ffmpeg child.

    Parameters
    ----------
    path
        The segment to create; it must not exist (a segment never overwrites a file).
    width, height
        Frame size in pixels; both must be even.
    fps
        Frames per second of the movie.
    codec
        ffmpeg video encoder, ``libx264`` by default.
    bitrate
        Target bitrate in kbit/s, or ``None`` for the encoder's default quality.
    extra_args
        Further ffmpeg output arguments, placed before the output file.
    ffmpeg
        The ffmpeg binary to run; by default the one :func:`~glompo_scope_chkpt._ffmpeg.ffmpeg_exe`
        finds when the segment starts.
    start
        Seconds of movie before this segment: its timestamps begin there, so the segments of a
        timeline played one after another (the live playlist) have continuous timestamps.

    Raises
    ------
    InvalidSettingError
        If the size is odd or not positive, or ``fps`` is not positive.

    Examples
    --------
    >>> with SegmentWriter(path, 640, 480, fps=10).saving() as writer:  # doctest: +SKIP
    ...     writer.grab_frame(canvas.buffer_rgba())
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float = 10,
        codec: str = "libx264",
        bitrate: float | None = None,
        extra_args: Sequence[str] | None = None,
        ffmpeg: str | None = None,
        start: float = 0.0,
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise InvalidSettingError(
                f"Movie frames must have an even, positive size, not {width}x{height}: "
                "H.264 in yuv420p needs even sides. Choose another figsize or dpi."
            )
        if not (math.isfinite(fps) and fps > 0):
            raise InvalidSettingError(f"Movie fps must be > 0, not {fps!r}.")
        self.path, self.width, self.height = Path(path), int(width), int(height)
        self.fps, self.codec, self.bitrate = float(fps), codec, bitrate
        self.extra_args, self.ffmpeg = list(extra_args or []), ffmpeg
        self.start = float(start)
        self.frames = 0
        self._frame_bytes = self.width * self.height * 4
        self._stack: contextlib.ExitStack | None = None
        self._proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        """Return the ffmpeg arguments (without the binary) this writer runs."""
        args = [
            "-n",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
            f"{self.width}x{self.height}",
            "-framerate",
            f"{self.fps:g}",
            "-i",
            "pipe:0",
            "-an",
            "-c:v",
            self.codec,
            *_LOW_LATENCY.get(self.codec, []),
        ]
        if self.bitrate is not None:
            args += ["-b:v", f"{self.bitrate:g}k"]
        args += ["-vf", from_rgb_filter(), "-pix_fmt", PIX_FMT, "-flush_packets", "1"]
        args += ["-output_ts_offset", f"{self.start:.6f}"] if self.start else []
        args += self.extra_args
        return [*args, "-f", SEGMENT_FORMAT, str(self.path)]

    @property
    def info(self) -> VideoInfo | None:
        """The segment as written so far, or None when only a probe of the file can tell.

        ``extra_args`` may change the size, rate or frame count, and the codec of an encoder not
        known here is unknown: the file must be probed then.
        """
        if self.extra_args or self.codec.replace("-", "_") not in _CODEC_NAMES:
            return None
        return VideoInfo(
            path=self.path,
            codec=codec_name(self.codec),
            width=self.width,
            height=self.height,
            pix_fmt=PIX_FMT,
            fps=self.fps,
            time_base=MPEGTS_TIME_BASE,
            frames=self.frames,
            duration=self.frames / self.fps,
        )

    @property
    def is_open(self) -> bool:
        """Whether ffmpeg is running and accepts frames."""
        return self._stack is not None

    @property
    def pid(self) -> int | None:
        """Process id of the ffmpeg child, or None before :meth:`setup`."""
        return None if self._proc is None else self._proc.pid

    @property
    def killed(self) -> bool:
        """Whether ffmpeg was ended by a signal (killed, or crashed), not by an error of its own.

        A killed encoder says nothing about the settings: recording can go on in a new segment.
        ffmpeg exiting with an error code (a bad option, a full disk) would fail again.
        """
        return self._proc is not None and (self._proc.returncode or 0) < 0

    def setup(self) -> SegmentWriter:
        """Start ffmpeg; return ``self``.

        Raises
        ------
        SegmentExistsError
            If the segment's path exists already; the file is left untouched.
        FFmpegNotFoundError
            If no ffmpeg binary is available.
        """
        if self._stack is not None:
            return self
        if os.path.lexists(self.path):
            raise SegmentExistsError(
                f"Movie segment '{self.path}' exists already; segments never overwrite a file. "
                "Move it away or record into another file name."
            )
        stack = contextlib.ExitStack()
        proc = stack.enter_context(
            ffmpeg_process(
                self.command(), exe=self.ffmpeg, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
            )
        )
        self._stack, self._proc = stack, proc
        assert proc.stdin is not None  # started with stdin=PIPE
        _widen_pipe(proc.stdin.fileno(), self._frame_bytes)
        log.info(
            "Recording movie segment %s (%dx%d, %g fps).",
            self.path,
            self.width,
            self.height,
            self.fps,
        )
        return self

    def write(self, rgba: bytes | bytearray | memoryview) -> None:
        """Append one frame of ``width * height * 4`` RGBA bytes.

        Raises
        ------
        InvalidSettingError
            If the frame has the wrong number of bytes.
        FFmpegError
            If the writer is not set up, or ffmpeg stopped (the message holds its stderr tail).
        """
        if self._stack is None:
            raise FFmpegError(f"Movie segment '{self.path}' is not open; call setup() first.")
        size = memoryview(rgba).nbytes
        if size != self._frame_bytes:
            raise InvalidSettingError(
                f"A frame of {size} bytes does not fit a {self.width}x{self.height} RGBA movie "
                f"({self._frame_bytes} bytes); the figure changed size while recording."
            )
        try:
            assert self._proc is not None and self._proc.stdin is not None  # set by open()
            self._proc.stdin.write(rgba)
        except (BrokenPipeError, ValueError, OSError) as exc:
            self._fail(exc)
        self.frames += 1

    grab_frame = write

    def _fail(self, exc: BaseException) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            with self._disk_errors():
                stack.close()  # reaps ffmpeg; raises FFmpegError with its stderr if it failed
        raise FFmpegError(f"ffmpeg stopped taking frames for '{self.path}': {exc}") from exc

    @contextlib.contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """Name the segment and its disk when ffmpeg (or a flush) failed because of the disk."""
        try:
            yield
        except (FFmpegError, OSError) as exc:
            if disk_errno(exc) is None:
                raise
            raise disk_error(SegmentDiskError, "the movie segment", self.path, exc) from exc

    def close(self) -> int:
        """End the input, wait for ffmpeg to finish the file, ``fsync`` it and its folder.

        Returns
        -------
        int
            The number of frames written.

        Raises
        ------
        SegmentDiskError
            If the disk refused the segment (full, read-only, failing).
        FFmpegError
            If ffmpeg exits with an error.
        """
        stack, self._stack = self._stack, None
        if stack is not None:
            with self._disk_errors():
                stack.close()
                fsync_path(self.path)
                fsync_dir(self.path.parent)
            log.info("Closed movie segment %s: %d frames.", self.path, self.frames)
        return self.frames

    finish = close

    def abort(self) -> None:
        """Stop ffmpeg at once (after an error); what was written so far stays playable."""
        stack, self._stack = self._stack, None
        if stack is not None:
            with contextlib.suppress(_Abort, FFmpegError):
                stack.__exit__(_Abort, _Abort(), None)

    @contextlib.contextmanager
    def saving(self) -> Iterator[SegmentWriter]:
        """Context manager: set up, yield the writer, finish (or abort on an error)."""
        with self:
            yield self

    def __enter__(self) -> SegmentWriter:
        return self.setup()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _widen_pipe(fd: int, frame_bytes: int) -> None:
    """Let the pipe to ffmpeg hold (up to) a frame: fewer wake-ups of the two processes."""
    try:
        import fcntl

        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(frame_bytes, limit))
    except (ImportError, AttributeError, OSError, ValueError):
        pass


class _Abort(Exception):
    """Thrown into the ffmpeg context to make it stop the child at once."""
