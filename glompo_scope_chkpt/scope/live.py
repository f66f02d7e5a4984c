"""The live scope the manager drives: a cheap facade over a renderer process.

Why a process. A renderer *thread* shares the GIL with the manager: measured here, a thread drawing
frames made a loop of 1 ms sleeping evaluations 1.37x slower, and a CPU-bound manager starved it
(3 frames in 3 s). Drawing and encoding therefore run in a child Python process
(:mod:`~glompo_scope_chkpt.scope.renderer`, started with ``subprocess``, so user scripts need no
``if __name__ == "__main__"`` guard), at a lower priority
(``SCHED_BATCH`` and ``nice`` +10, inherited by its ffmpeg), so the optimization keeps the CPU it
needs: measured, a process encoding 90 frames/s beside a loop of 1 ms sleeps slowed that loop by
12 % at plain ``nice`` +10 and by 5 % as ``SCHED_BATCH`` (``SCHED_IDLE`` was no better, and can
starve the commands the manager waits for on a busy machine).

Data flow. The manager appends to its :class:`~glompo_scope_chkpt.core.history.History` and calls
:meth:`LiveScope.notify_point`, which only notes the evaluation number (about 0.1 µs); every
``events_per_flush`` evaluations it wakes a small sender thread in the manager's process, which
reads what the history gained with a :class:`~.cursor.HistoryCursor` (lock-free, see its
docstring) and sends that delta to the renderer with the *frontier*: the evaluation number up to
which the history is complete. The renderer cuts what it receives into the frames fixed in
advance (:mod:`.frames`) and draws each one; a slow renderer lags and catches up, but never
drops or merges a frame, and the manager never waits for it. What the renderer lags behind stays
in the history: the sender hands it over in pieces of at most :data:`MAX_DELTA_POINTS` points,
each with the frontier it completes, one exchange after the other until it has caught up, so the
renderer's memory does not grow with the run however far it lags (measured before, one delta of
a million points raised the renderer's peak memory by 30 MB and more). Commands (start and end a
segment, a still) travel the same ordered channel, each with the latest delta (the pieces before
its last go first). Starting and ending a segment do not wait either (a checkpoint would wait for
the renderer to catch up): :meth:`LiveScope.end_segment` returns a future, done when the renderer
has drawn the segment's last frame and its ffmpeg has finished the file, and failing if the
segment could not start.

If the manager dies, the renderer reads end-of-file (or notices its parent changed), writes the
pending changes as a last frame and closes its segment cleanly; ffmpeg runs in its own session.
If the renderer dies, or its ffmpeg is killed, :attr:`LiveScope.lost` says so: the segment keeps
what was written (MPEG-TS with flushed packets), and the caller starts a new scope, whose first
frame shows the whole history again.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import math
import os
import queue
import subprocess
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from .._ffmpeg import ffmpeg_exe
from .._logging import get_logger
from ..core.history import History, Marker
from ..errors import ScopeError, SegmentExistsError
from ..movie.video.probe import probe
from ..movie.video.video_info import VideoInfo
from .channel import recv_message, send_message, spawn_renderer
from .cursor import HistoryCursor, HistoryDelta
from .encoder_watch import EncoderWatch
from .vis_args import validate_visualisation_args

__all__ = ["MAX_DELTA_POINTS", "LiveScope"]

log = get_logger(__name__)

MAX_DELTA_POINTS = 1 << 16
"""Points one message to the renderer holds at most (a piece of what the history gained):
about 1 MB, so that the renderer's memory does not grow with how far it lags."""
_COMMAND_TIMEOUT = 300.0
_ENCODER_TIMEOUT = 10.0
"""Seconds the renderer's ffmpeg may take to finish its segment after the renderer died."""
_LIVE: weakref.WeakSet[LiveScope] = weakref.WeakSet()


def _described(path: Path, written: VideoInfo | None) -> VideoInfo:
    """The closed segment at ``path``: what the renderer wrote, else a probe of the file."""
    return probe(path) if written is None else dataclasses.replace(written, path=path)


def _awaited(future: Future, what: str) -> Any:
    """The result of the renderer's ``future``; a :class:`ScopeError` if it did not ``what``."""
    try:
        return future.result(timeout=_COMMAND_TIMEOUT)
    except TimeoutError as exc:
        raise ScopeError(
            f"The scope's renderer did not {what} within {_COMMAND_TIMEOUT:g} s."
        ) from exc


def _reach(kind: str, payload: Any) -> tuple[int, float]:
    """What the renderer does with the history on a message of ``kind`` with ``payload``.

    Returns
    -------
    draw, need
        The evaluation number up to which it draws frames, and up to which the history must
        have been sent with the message (``inf``: all of it, for the run's last frame). Every
        message but ``init`` promises the history is complete up to ``need``.
    """
    if kind in ("data", "quit"):
        return payload, payload
    if kind == "start":
        return payload[1], payload[1]
    if kind == "end":
        end, last = payload
        return end, math.inf if last else end
    return 0, 0  # a still shows what was drawn: it draws no frame


class _ChannelError(Exception):
    """The pipe to the renderer broke: the renderer process is gone."""


class LiveScope:
    """The live scope of one manager session: plot, movie segments and stills.

    Parameters
    ----------
    args
        ``visualisation_args`` (validated again here, so a partial dict works too).
    history
        The manager's history. The scope only reads it; the first frame shows all it holds, so
        after a resume the picture continues where the checkpoint left it.

    Raises
    ------
    InvalidSettingError
        If ``args`` is not valid.

    Attributes
    ----------
    lost : str or None
        Why the recording broke, when the renderer process died or its ffmpeg was killed (a
        signal, a crash), else None. The segment then keeps the frames written so far, and this
        scope records nothing more: close it and start a new one. An ffmpeg that exits with an
        error of its own is no loss: it would fail again, and the error is raised instead.

    Notes
    -----
    The manager's thread calls :meth:`notify_point` and :meth:`notify_marker` after appending to
    ``history``; any thread may call the other methods, one at a time.
    """

    def __init__(self, args: Mapping[str, Any], history: History) -> None:
        self.args = validate_visualisation_args(args)
        self._every = self.args["events_per_flush"]
        self._count = 0
        self._frontier = 0
        self._data_pending = False
        self.frames_drawn = 0
        """Frames the renderer has drawn so far, as it last reported (recorded or not)."""
        self._cursor = HistoryCursor(history)
        self._segment: Path | None = None
        self._encoders: dict[Path, EncoderWatch] = {}
        """The ffmpeg of each segment the renderer started and has not finished."""
        self._encoders_lock = threading.Lock()
        self._starting: dict[Path, Future] = {}
        """The renderer's answer to the start of each segment not ended yet."""
        self.lost: str | None = None
        self._closed = False
        self._dead: BaseException | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._commands: queue.SimpleQueue[tuple[str, Any, Future]] = queue.SimpleQueue()
        self._owner = os.getpid()  # a forked copy of this object (a worker) must not close it
        self._proc = spawn_renderer()
        self._thread = threading.Thread(target=self._serve, name="scope-sender", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    # -- hot path (manager thread) ---------------------------------------------------------------
    def notify_point(self, opt_id: int, call_id: int, fx: float) -> None:
        """Note one evaluation already appended to the history; never blocks.

        The history is complete up to ``call_id`` (points are appended in evaluation order).
        Every ``events_per_flush`` calls the sender thread is woken. The values are read from
        the history by the sender thread; ``opt_id`` and ``fx`` exist for the manager's
        convenience.
        """
        self._frontier = call_id
        self._count += 1
        if self._count >= self._every:
            self._count = 0
            if not self._data_pending:
                self._data_pending = True
                self._wake.set()

    def notify_marker(self, marker: Marker) -> None:
        """Note a marker added to the history: it travels with the next delta; never blocks."""

    # -- sender thread ---------------------------------------------------------------------------
    def _exchange(self, kind: str, payload: Any = None) -> Any:
        """Send one message with what the history gained; return the renderer's answer.

        What the history gained is sent in pieces of at most :data:`MAX_DELTA_POINTS` points
        (see :func:`_reach`): the pieces short of what the message needs go first, each in a
        ``data`` message of its own with the frontier it completes (no further than the message
        itself draws), so that the renderer draws their frames and lets them go; the piece that
        completes what it needs goes with the message, and the rest stays in the history for
        the next message. ``init`` carries none (the renderer has no plot yet).

        Raises
        ------
        _ChannelError
            If the renderer cannot be reached (it stopped).
        Exception
            Whatever the renderer reported while handling the message.
        """
        if kind == "init":
            return self._round_trip((kind, HistoryDelta(), payload))
        draw, need = _reach(kind, payload)
        for delta in self._cursor.deltas(MAX_DELTA_POINTS):
            if delta.through is None or delta.through >= need:
                return self._round_trip((kind, delta, payload))
            self._frames(self._round_trip, ("data", delta, min(delta.through, draw)))
        raise AssertionError("the cursor's last piece has no cut")  # pragma: no cover

    def _round_trip(self, message: tuple[str, HistoryDelta, Any]) -> Any:
        """Send ``message``; return the renderer's answer, raise what it reported."""
        assert self._proc.stdin is not None and self._proc.stdout is not None  # both piped
        try:
            send_message(self._proc.stdin.fileno(), message)
            status, value = recv_message(self._proc.stdout.fileno())
        except (EOFError, OSError, ValueError) as exc:
            self._lose(f"the renderer process died ({exc})")
            raise _ChannelError(str(exc)) from exc
        if status == "lost":
            self._lose(f"its encoder (ffmpeg) died: {str(value).splitlines()[0]}")
        if status != "ok":
            raise value
        return value

    def _lose(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            log.info("The scope's recording broke: %s", reason)

    def _frames(self, exchange: Callable[..., int], *args: Any) -> None:
        """Run ``exchange(*args)``, which draws frames; a failed segment is only logged here.

        It is reported again when the segment is ended.
        """
        try:
            self.frames_drawn = exchange(*args)
        except _ChannelError:
            raise
        except Exception as exc:
            if self.lost is None:
                log.error("The scope could not record a frame: %s", exc)

    def _data(self) -> None:
        self._data_pending = False
        frontier = self._frontier  # read before the delta: the history holds all up to it
        self._frames(self._exchange, "data", frontier)

    def _command(self, kind: str, payload: Any, future: Future) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(self._exchange(kind, payload))
        except _ChannelError as exc:
            future.set_exception(ScopeError(f"The scope's renderer process stopped ({exc})."))
            raise
        except Exception as exc:
            future.set_exception(exc)

    def _serve(self) -> None:
        reason = ScopeError("the scope is closed")
        try:
            for message in self._exchange("init", self.args):
                warnings.warn(message, RuntimeWarning, stacklevel=1)
                log.warning("%s", message)
            while True:
                self._wake.wait()
                self._wake.clear()
                # Commands first: a segment started at evaluation n must reach the renderer
                # before data past n, or the frames after n would be drawn unrecorded.
                while True:
                    try:
                        kind, payload, future = self._commands.get_nowait()
                    except queue.Empty:
                        break
                    self._command(kind, payload, future)
                    if kind == "quit":
                        return
                if self._data_pending:
                    self._data()
        except _ChannelError as exc:
            reason = ScopeError(f"The scope's renderer process stopped ({exc}).")
        except Exception as exc:  # the renderer could not even start its plot
            reason = ScopeError(f"The scope's renderer failed to start: {exc}")
            log.error("%s", reason)
        finally:
            self._fail_pending(reason)

    def _fail_pending(self, exc: BaseException) -> None:
        failed: list[Future] = []
        with self._lock:  # no command is queued after this
            self._dead = dead = self._dead or exc
            while True:
                try:
                    failed.append(self._commands.get_nowait()[2])
                except queue.Empty:
                    break
        for future in failed:  # outside the lock: their callbacks may take it
            if future.set_running_or_notify_cancel():
                future.set_exception(dead)

    def _submit(self, kind: str, payload: Any = None) -> Future:
        future: Future = Future()
        with self._lock:
            if self._dead is not None:
                raise ScopeError(f"The scope cannot {kind}: {self._dead}")
            self._commands.put((kind, payload, future))
        self._wake.set()
        return future

    def _call(self, kind: str, payload: Any = None) -> Any:
        return _awaited(self._submit(kind, payload), f"answer '{kind}'")

    # -- commands ----------------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        """Whether a movie segment is being recorded."""
        return self._segment is not None

    @property
    def renderer_pid(self) -> int:
        """Process id of the renderer (for diagnostics)."""
        return self._proc.pid

    def start_segment(self, path: str | os.PathLike[str], start: int | None = None) -> None:
        """Start recording a movie segment (MPEG-TS) at ``path``: the frames after ``start``.

        ``start`` is an evaluation number, by default the last one noted; the history must be
        complete up to it. Frames before it that were not drawn yet are drawn, not recorded.
        Never waits for the renderer (which may still be drawing earlier frames): a segment that
        ffmpeg could not start fails the future :meth:`end_segment` returns.

        Raises
        ------
        SegmentExistsError
            If ``path`` exists; the file is not touched.
        ScopeError
            If a segment is being recorded already, or the renderer stopped.
        FFmpegNotFoundError
            If no ffmpeg binary is available.
        """
        path = Path(path)
        if os.path.lexists(path):
            raise SegmentExistsError(
                f"Movie segment '{path}' exists already; segments never overwrite a file. "
                "Move it away or record into another file name."
            )
        if self._segment is not None:
            raise ScopeError(
                f"Cannot start segment '{path}': '{self._segment}' is still recording; "
                "close it first."
            )
        writer = self.args["writer_kwargs"]  # fps, codec, bitrate, extra_args
        first = self._frontier if start is None else start
        started = self._submit("start", (str(path.absolute()), first, writer, ffmpeg_exe()))
        started.add_done_callback(lambda done: self._watch_encoder(path, done))
        self._segment = path
        self._starting[path] = started

    def _watch_encoder(self, path: Path, started: Future) -> None:
        """Watch the segment's ffmpeg as soon as the renderer started it (sender thread)."""
        if started.exception() is None and started.result() is not None:
            with self._encoders_lock:
                self._encoders[path] = EncoderWatch(started.result())

    def end_segment(self, end: int | None = None, last: bool = False) -> Future:
        """End the segment being recorded after the frame at ``end``; never waits for it.

        Parameters
        ----------
        end
            Evaluation number of the segment's end (a checkpoint's ``f_counter``), by default the
            last one noted; the history must be complete up to it.
        last
            Add the run's last frame, showing everything the history holds (the run ended).

        Returns
        -------
        Future
            Done when the renderer has drawn every frame up to ``end`` and ffmpeg has finished
            the file; its result is the segment's description (what the renderer wrote, or a
            probe of the file when ``extra_args`` or an unknown encoder may have changed it), or
            ``None`` when the segment holds no frame (its file is removed). Its exception is an
            :class:`~glompo_scope_chkpt.errors.FFmpegError` if ffmpeg failed, a
            :class:`ScopeError` if the renderer stopped (with :attr:`lost` set, the file holds
            what was written and may be probed).

        Raises
        ------
        ScopeError
            If no segment is being recorded, or the renderer stopped.
        """
        if self._segment is None:
            raise ScopeError("No movie segment is being recorded; nothing to close.")
        path, self._segment = self._segment, None
        started = self._starting.pop(path)
        ending = self._submit("end", (self._frontier if end is None else end, last))
        described: Future = Future()

        def settle(done: Future) -> None:  # the renderer answers in order: started is done
            with self._encoders_lock:
                encoder = self._encoders.pop(path, None)
            if encoder is not None:
                encoder.end(_ENCODER_TIMEOUT)
            if started.exception() is not None:  # the segment never started: that is why
                described.set_exception(started.exception())
                return
            try:
                frames, info = done.result()
                described.set_result(_described(path, info) if frames else None)
            except BaseException as exc:
                described.set_exception(exc)

        ending.add_done_callback(settle)
        return described

    def close_segment(self, last: bool = False) -> VideoInfo | None:
        """End the segment being recorded with every frame noted so far, and wait for it.

        Returns what the future of :meth:`end_segment` holds and raises what it raises, or
        :class:`ScopeError` if the renderer does not finish in time.
        """
        return _awaited(self.end_segment(None, last), "finish the segment")

    def _end_encoders(self) -> None:
        """Wait for the segments' ffmpeg to exit (the renderer reaps it, unless it died)."""
        with self._encoders_lock:
            encoders, self._encoders = self._encoders, {}
        for encoder in encoders.values():
            encoder.end(_ENCODER_TIMEOUT)

    def save_still(self, path: str | os.PathLike[str]) -> None:
        """Write the current picture (every point so far) as a PNG at ``path``, atomically.

        Raises
        ------
        ScopeError
            If the renderer stopped.
        """
        self.wait_idle()
        self._call("still", str(Path(path).absolute()))

    def wait_idle(self) -> None:
        """Block until every frame up to the last evaluation noted has been drawn.

        A segment that failed meanwhile is logged here and reported when it is ended.

        Raises
        ------
        ScopeError
            If the renderer stopped.
        """
        try:
            self.frames_drawn = self._call("data", self._frontier)
        except ScopeError:
            raise
        except Exception as exc:
            if self.lost is None:
                log.error("The scope could not record a frame: %s", exc)

    def close(self) -> VideoInfo | None:
        """Finish the open segment (if any), stop the renderer and its thread; idempotent.

        Returns
        -------
        VideoInfo or None
            The closed segment (as :meth:`close_segment` describes it), or ``None`` if none was
            recording, it holds no frame, the recording was :attr:`lost`, or the scope was
            closed already.

        Raises
        ------
        FFmpegError
            If ffmpeg failed while recording the last segment (everything is stopped anyway).
        """
        if self._closed or os.getpid() != self._owner:
            return None
        self._closed = True
        path, self._segment = self._segment, None
        try:
            with contextlib.suppress(ScopeError):
                frames, info = self._call("quit", self._frontier)
                if path is None or self.lost or not frames:
                    return None
                return _described(path, info)
        finally:
            self._stop_process()
        return None

    def _stop_process(self) -> None:
        self._thread.join(timeout=_COMMAND_TIMEOUT)
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.error("The scope's renderer did not exit; killing it.")
            self._proc.kill()
            self._proc.wait()
        self._end_encoders()
        _LIVE.discard(self)

    def __enter__(self) -> LiveScope:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@atexit.register
def _close_all() -> None:
    """Finish the segments of scopes still open when the interpreter exits."""
    for scope in list(_LIVE):
        with contextlib.suppress(Exception):
            scope.close()
