"""Movie segments written through an ffmpeg child, and the renderer process that feeds them.

A segment is an MPEG-TS file of H.264 (``yuv420p``, even size) encoded with
``-preset veryfast -tune zerolatency -flush_packets 1``: every frame leaves ffmpeg as soon as it is
encoded, so a segment survives its writer being killed. If only the Python side dies, ffmpeg sees
the end of its input and finishes the file; if ffmpeg is killed too, the file keeps all but about
the last frame and still decodes cleanly. ffmpeg runs in its own session, so a signal sent to the
manager's process group does not cut it short.

:class:`SegmentWriter` follows matplotlib's movie writers (``setup`` / ``grab_frame`` /
``finish`` and a ``saving`` context manager), but is fed pixels that were already rendered, so a
frame is drawn once, never twice.

:func:`renderer_main` is the entry point of the renderer process a
:class:`~glompo_scope_chkpt.scope.live.LiveScope` starts: it owns the
:class:`~glompo_scope_chkpt.scope.plot.ScopePlot` and the current :class:`SegmentWriter`, and
answers the messages of the manager's process.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import select
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import FFmpegError, GloMPOError, InvalidSettingError, ScopeError, SegmentExistsError
from ..ffmpeg import ffmpeg_process

__all__ = [
    "MPEGTS_TIME_BASE",
    "SEGMENT_SUFFIX",
    "SegmentStats",
    "SegmentWriter",
    "codec_name",
    "renderer_main",
]

log = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".ts"
"""File ending of live movie segments (MPEG-TS)."""
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


@dataclass(frozen=True)
class SegmentStats:
    """What a finished segment holds, as needed to list and stitch it."""

    path: Path
    frames: int
    width: int
    height: int
    fps: float
    codec: str = "h264"
    pix_fmt: str = "yuv420p"


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
        self.extra_args = list(extra_args or [])
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
        args += ["-pix_fmt", "yuv420p", "-flush_packets", "1", *self.extra_args]
        return [*args, "-f", "mpegts", str(self.path)]

    @property
    def stats(self) -> SegmentStats:
        """The segment's description (frames so far)."""
        return SegmentStats(
            self.path, self.frames, self.width, self.height, self.fps, codec_name(self.codec)
        )

    @property
    def is_open(self) -> bool:
        """Whether ffmpeg is running and accepts frames."""
        return self._stack is not None

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
            ffmpeg_process(self.command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        )
        self._stack, self._proc = stack, proc
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
            self._proc.stdin.write(rgba)
        except (BrokenPipeError, ValueError, OSError) as exc:
            self._fail(exc)
        self.frames += 1

    grab_frame = write

    def _fail(self, exc: BaseException) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()  # reaps ffmpeg; raises FFmpegError with its stderr if it failed
        raise FFmpegError(f"ffmpeg stopped taking frames for '{self.path}': {exc}") from exc

    def close(self) -> int:
        """End the input, wait for ffmpeg to finish the file and return the number of frames.

        Raises
        ------
        FFmpegError
            If ffmpeg exits with an error.
        """
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
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


# -- the renderer process -------------------------------------------------------------------------
def _portable(exc: Exception) -> Exception:
    """``exc`` if it can travel to the manager as is, else a :class:`ScopeError` describing it."""
    if isinstance(exc, (GloMPOError, OSError)):
        try:
            pickle.dumps(exc)
            return exc
        except Exception:
            pass
    tail = "".join(traceback.format_exception(exc)[-6:])
    return ScopeError(f"The scope's renderer failed: {type(exc).__name__}: {exc}\n{tail}")


def _make_plot(args: Mapping[str, Any]) -> tuple[Any, bool, list[str]]:
    """Build the plot; in interactive mode in a pyplot window, else (or failing that) with Agg."""
    from .plot import ScopePlot

    if not args["interactive_mode"]:
        return ScopePlot(args), False, []
    try:
        if (
            os.name == "posix"
            and sys.platform != "darwin"
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        ):
            raise RuntimeError("no DISPLAY or WAYLAND_DISPLAY is set")
        import matplotlib.pyplot as plt

        backend = plt.get_backend().lower()
        if backend in {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}:
            raise RuntimeError(f"matplotlib chose the non-interactive backend {backend!r}")
        plot = ScopePlot(args, figure=plt.figure())
        plot.canvas.mpl_connect("resize_event", lambda _event: plot.invalidate())
        plt.show(block=False)
        return plot, True, []
    except Exception as exc:
        message = (
            f"visualisation_args['interactive_mode'] is on but no window can be shown "
            f"({exc}); the scope draws off-screen instead."
        )
        return ScopePlot(args), False, [message]


class _Renderer:
    """State of the renderer process: the plot, the open segment and what the movie lacks."""

    def __init__(self) -> None:
        self.plot: Any = None
        self.writer: SegmentWriter | None = None
        self.window = False
        self.movie_dirty = False
        self.failed: Exception | None = None

    def handle(self, message: tuple[str, Any, Any]) -> tuple[str, Any]:
        kind, delta, payload = message
        try:
            if kind == "init":
                self.plot, self.window, value = _make_plot(payload)
            if delta:
                self.plot.apply(delta)
                self.movie_dirty = True
            if kind != "init":
                value = getattr(self, f"_on_{kind}")(payload)
            return ("ok", value)
        except Exception as exc:
            return ("error", _portable(exc))

    def _show(self) -> None:
        if self.window:
            self.plot.canvas.blit(self.plot.figure.bbox)
            self.plot.canvas.flush_events()

    def _write_frame(self) -> None:
        pixels = self.plot.render()
        self._show()
        try:
            self.writer.write(pixels)
        except Exception as exc:
            writer, self.writer, self.failed = self.writer, None, exc
            writer.abort()
            raise
        self.movie_dirty = False

    def _on_frame(self, _payload: None) -> bool:
        if self.writer is not None:
            self._write_frame()
            return True
        if self.window:
            self.plot.render()
            self._show()
            return True
        return False

    def _on_start(self, payload: tuple[str, Mapping[str, Any]]) -> None:
        path, kwargs = payload
        if self.writer is not None:
            raise ScopeError(f"Cannot start '{path}': '{self.writer.path}' is still recording.")
        width, height = self.plot.canvas.get_width_height(physical=True)
        writer = SegmentWriter(path, width, height, **kwargs)  # fps, codec, bitrate, extra_args
        self.writer, self.failed = writer.setup(), None

    def _on_close_segment(self, _payload: None) -> SegmentStats:
        if self.writer is None:
            failed, self.failed = self.failed, None
            raise failed or ScopeError("No movie segment is being recorded; nothing to close.")
        if self.movie_dirty or self.writer.frames == 0:
            self._write_frame()
        writer, self.writer = self.writer, None
        writer.close()
        return writer.stats

    def _on_still(self, path: str) -> None:
        self.plot.save_png(path)

    def _on_sync(self, _payload: None) -> None:
        return None

    def _on_quit(self, _payload: None) -> SegmentStats | None:
        return self._on_close_segment(None) if self.writer is not None else None

    @property
    def idle_interval(self) -> float:
        """Seconds between checks of the parent (and GUI events) while no message arrives."""
        return 0.05 if self.window else 1.0

    def shutdown(self) -> None:
        """Finish an open segment (with the pending changes) when the manager went away."""
        if self.writer is None:
            return
        try:
            if self.movie_dirty:
                self._write_frame()
            self.writer.close()
        except Exception as exc:
            log.error("Could not finish movie segment cleanly: %s", exc)
            if self.writer is not None:
                self.writer.abort()
        self.writer = None


def _keep_to_one_cpu() -> None:
    """Run this process (and the ffmpeg it starts) on one of the CPUs it may use, the last.

    Measured on 2 cores with a loop of 1 ms sleeping evaluations: a renderer and ffmpeg free to
    move slowed the loop by 8-9 %; kept to one CPU, by under 1 %, with 2 % fewer frames. The
    manager itself is left free. A process allowed a single CPU is left as it is.
    """
    with contextlib.suppress(AttributeError, OSError):
        allowed = os.sched_getaffinity(0)
        if len(allowed) > 1:
            os.sched_setaffinity(0, {max(allowed)})


def _lower_priority(niceness: int) -> None:
    """Schedule this process (and the ffmpeg it starts) below the manager.

    ``SCHED_BATCH`` keeps the renderer's frequent wake-ups from preempting the manager; the nice
    value gives it a small share of a busy CPU, so commands the manager waits for (closing a
    segment) still finish in bounded time, unlike with ``SCHED_IDLE``.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    with contextlib.suppress(AttributeError, OSError):
        os.nice(niceness)


def _wait_for_message(fd: int, parent_pid: int, renderer: _Renderer) -> None:
    if os.name != "posix":
        return
    while not select.select([fd], [], [], renderer.idle_interval)[0]:
        if os.getppid() != parent_pid:
            raise EOFError("the manager's process is gone")
        if renderer.window:
            renderer.plot.canvas.flush_events()


def renderer_main() -> None:
    """Run the renderer process: answer messages until ``quit``, end of input or parent death.

    Called as ``python -c "...renderer_main()" PARENT_PID NICENESS`` with the messages on stdin
    and answers on stdout (anything else printed goes to stderr). Ctrl-C and SIGTERM are left to
    the manager, which closes the scope in order; the renderer ends when its input does.
    """
    from .live import recv_message, send_message

    parent_pid, niceness = int(sys.argv[1]), int(sys.argv[2])
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
    _lower_priority(niceness)
    _keep_to_one_cpu()
    fd_in, fd_out = sys.stdin.fileno(), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    renderer = _Renderer()
    try:
        while True:
            _wait_for_message(fd_in, parent_pid, renderer)
            message = recv_message(fd_in)
            send_message(fd_out, renderer.handle(message))
            if message[0] == "quit":
                break
    except (EOFError, BrokenPipeError):
        pass
    finally:
        renderer.shutdown()
