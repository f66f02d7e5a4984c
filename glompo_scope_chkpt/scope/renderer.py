"""The renderer process: the child that owns the scope's plot and its open movie segment.

A :class:`~glompo_scope_chkpt.scope.live.LiveScope` starts this process with ``subprocess``
(``python -c "from glompo_scope_chkpt.scope.renderer import renderer_main; renderer_main()"
PARENT_PID NICENESS``) and talks to it over a pipe, one message at a time (see
:func:`~glompo_scope_chkpt.scope.channel.send_message`). A message is ``(kind, delta, payload)``:
``delta`` is what the manager's history gained since the last message, buffered by a
:class:`~.frames.FrameSplitter` and drawn on the
:class:`~glompo_scope_chkpt.scope.plot.ScopePlot` frame by frame, and ``kind`` is ``init``
(build the plot from the ``visualisation_args`` in ``payload``), ``data`` (draw every frame up to
the evaluation number ``payload``), ``start`` (open a
:class:`~glompo_scope_chkpt.movie.video.segment_writer.SegmentWriter` recording the frames after
an evaluation number), ``end`` (finish the segment with the frames up to an evaluation number,
and the run's last frame if asked), ``still`` or ``quit``. Each is answered with ``("ok",
value)`` or ``("error", exception)``; an exception that cannot be pickled travels as a
:class:`~glompo_scope_chkpt.errors.ScopeError` describing it. ``start`` answers with the process id
of the segment's ffmpeg. A failure of the segment because its ffmpeg was killed by a signal (not an
error of ffmpeg's own) is answered with ``("lost", exception)``: the manager then records on in a
new segment.

Priority. The process schedules itself below the manager, as ``SCHED_BATCH`` and with a higher
nice value, and keeps to one of the CPUs it may use; the ffmpeg it starts inherits both.
It ignores Ctrl-C and SIGTERM: the manager closes the scope in order.

Manager death. The renderer ends when its input does, or when it notices its parent changed while
waiting for a message. Either way it draws the frames the manager promised and closes the open
segment cleanly.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from .._logging import get_logger
from ..errors import GloMPOError, ScopeError
from ..movie.video.segment_writer import SegmentWriter
from ..movie.video.video_info import VideoInfo
from .cursor import HistoryDelta
from .frames import FrameGrid, FrameSplitter

__all__ = ["renderer_main"]

log = get_logger(__name__)


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


def _make_plot(args: Mapping[str, Any]) -> tuple[Any, Any, list[str]]:
    """Build the plot drawn off-screen (movie, still) and, in interactive mode, a window's.

    The movie never comes from the window: a window's canvas has whatever size the screen, the
    toolbar and the user give it, and a movie's frames must all have the configured size.

    Returns
    -------
    plot, window_plot, messages
        The off-screen plot, the window's plot (or ``None``) and warnings for the manager.
    """
    from .plot import ScopePlot

    if not args["interactive_mode"]:
        return ScopePlot(args), None, []
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
        window = ScopePlot(args, figure=plt.figure())
        window.canvas.mpl_connect("resize_event", lambda _event: window.invalidate())
        plt.show(block=False)
        return ScopePlot(args), window, []
    except Exception as exc:
        message = (
            f"visualisation_args['interactive_mode'] is on but no window can be shown "
            f"({exc}); the scope draws off-screen instead."
        )
        return ScopePlot(args), None, [message]


class _Renderer:
    """State of the renderer process: the plots, the frames to draw and the open segment.

    Frames are cut by a :class:`~.frames.FrameSplitter`: the frame at boundary ``b`` is made
    once the manager promised (its ``frontier``) that the history up to ``b`` was sent. Every
    frame's data is applied to the plot, in order, also that of frames no segment records (a
    resumed session goes through the run from its start); a frame is painted and encoded when
    the open segment covers it (``start < b <= end``). The plot's picture is a function of the
    data applied, however it was cut, so skipping the paint of unrecorded frames changes nothing.
    """

    def __init__(self) -> None:
        self.plot: Any = None
        self.window_plot: Any = None
        self.splitter: FrameSplitter | None = None
        self.writer: SegmentWriter | None = None
        self.start = 0
        """The open segment records the frames after this evaluation number."""
        self.frontier = 0
        self.drawn = 0
        """Frames made so far (painted and encoded, or only applied)."""
        self.failed: Exception | None = None
        self.encoder_killed = False
        """Whether the segment failed because its ffmpeg was killed (answered as ``lost``)."""

    def handle(self, message: tuple[str, Any, Any]) -> tuple[str, Any]:
        kind, delta, payload = message
        try:
            if kind == "init":
                self.plot, self.window_plot, value = _make_plot(payload)
                grid = FrameGrid(payload["events_per_flush"], payload["max_frames"])
                self.splitter = FrameSplitter(grid)
            assert self.splitter is not None  # init is the first message
            if delta:
                self.splitter.add(delta)
            if kind != "init":
                value = getattr(self, f"_on_{kind}")(payload)
            return ("ok", value)
        except Exception as exc:
            return ("lost" if self.encoder_killed else "error", _portable(exc))

    def show(self) -> None:
        """Draw what changed into the window, if there is one, and let it handle its events."""
        if self.window_plot is not None:
            self.window_plot.render()
            self.window_plot.canvas.blit(self.window_plot.figure.bbox)
            self.window_plot.canvas.flush_events()

    def _draw(self, delta: HistoryDelta, encode: bool) -> None:
        self.plot.apply(delta)
        if self.window_plot is not None:
            self.window_plot.apply(delta)
        self.drawn += 1
        self.show()
        writer = self.writer
        if not encode or writer is None:
            return  # the picture is a function of the data applied: no need to paint it
        pixels = self.plot.render()
        try:
            writer.write(pixels)
        except Exception as exc:
            self.writer, self.failed = None, exc
            writer.abort()
            self.encoder_killed = writer.killed
            raise

    def _catch_up(self, frontier: int) -> None:
        """Draw every frame up to ``frontier``; encode those the open segment covers."""
        assert self.splitter is not None
        self.frontier = max(self.frontier, frontier)
        for boundary, delta in self.splitter.frames(self.frontier):
            self._draw(delta, boundary > self.start)

    def _on_data(self, frontier: int) -> int:
        self._catch_up(frontier)
        return self.drawn

    def _on_start(self, payload: tuple[str, int, Mapping[str, Any], str]) -> int | None:
        path, start, kwargs, ffmpeg = payload
        if self.writer is not None:
            raise ScopeError(f"Cannot start '{path}': '{self.writer.path}' is still recording.")
        self._catch_up(start)  # frames before the segment: drawn, not recorded here
        width, height = self.plot.canvas.get_width_height(physical=True)
        clock = self.drawn / kwargs["fps"]  # timestamps go on from the frames before it
        writer = SegmentWriter(path, width, height, ffmpeg=ffmpeg, start=clock, **kwargs)
        self.writer, self.failed, self.encoder_killed = writer.setup(), None, False
        self.start = start
        return writer.pid

    def _on_end(self, payload: tuple[int | None, bool]) -> tuple[int, VideoInfo | None]:
        """Finish the open segment with the frames up to ``end`` (and the last frame if asked).

        Returns the frames written and what the writer knows of the file (``None`` when a probe
        must tell); a segment without frames is removed.
        """
        end, last = payload
        if self.writer is None:
            failed, self.failed = self.failed, None
            raise failed or ScopeError("No movie segment is being recorded; nothing to close.")
        self._catch_up(self.frontier if end is None else end)
        if last:
            assert self.splitter is not None
            self._draw(self.splitter.final(), True)
        writer, self.writer = self.writer, None
        if writer.frames == 0:
            writer.abort()
            with contextlib.suppress(OSError):
                os.unlink(writer.path)
            return 0, None
        try:
            writer.close()
        except Exception:
            self.encoder_killed = writer.killed
            raise
        return writer.frames, writer.info

    def _on_still(self, path: str) -> None:
        self.plot.save_png(path)

    def _on_quit(self, frontier: int) -> tuple[int, VideoInfo | None]:
        self._catch_up(frontier)
        return self._on_end((None, False)) if self.writer is not None else (0, None)

    @property
    def idle_interval(self) -> float:
        """Seconds between checks of the parent (and GUI events) while no message arrives."""
        return 0.05 if self.window_plot is not None else 1.0

    def shutdown(self) -> None:
        """Finish an open segment with the frames the manager promised, when it went away."""
        if self.writer is None:
            return
        try:
            self._catch_up(self.frontier)
            if self.writer is not None:
                self.writer.close()
        except Exception as exc:
            log.error("Could not finish movie segment cleanly: %s", exc)
            if self.writer is not None:
                self.writer.abort()
        self.writer = None


def _keep_to_one_cpu() -> None:
    """Run this process (and the ffmpeg it starts) on one of the CPUs it may use.

    Measured on 2 cores with a loop of 1 ms sleeping evaluations: a renderer and ffmpeg free to
    move slowed the loop by 8-9 %; kept to one CPU, by under 1 %, with 2 % fewer frames. The
    manager itself is left free. The CPU follows the process id, so that several runs on one
    machine spread their renderers. A process allowed a single CPU is left as it is.
    """
    with contextlib.suppress(AttributeError, OSError):
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) > 1:
            os.sched_setaffinity(0, {allowed[os.getpid() % len(allowed)]})


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
        if renderer.window_plot is not None:
            renderer.window_plot.canvas.flush_events()


def renderer_main() -> None:
    """Run the renderer process: answer messages until ``quit``, end of input or parent death.

    Called as ``python -c "...renderer_main()" PARENT_PID NICENESS`` with the messages on stdin
    and answers on stdout (anything else printed goes to stderr). Ctrl-C and SIGTERM are left to
    the manager, which closes the scope in order; the renderer ends when its input does.
    """
    from .channel import recv_message, send_message

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
