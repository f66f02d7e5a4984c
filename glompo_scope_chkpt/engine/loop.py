"""One session of an optimization: the manager's loop.

The loop only asks, submits, and tells; every evaluation result is processed in submission order
among those finished, so with the serial executor a run is exactly reproducible through any
number of checkpoints. Drawing, encoding and HDF5 writes are buffered or happen elsewhere.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import signal
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .._logging import get_logger
from .._run_files import CHECKPOINT_REQUEST
from ..checkpoint.writer import take_checkpoint
from ..convergence import RunStatus
from ..core.settings import ManagerSettings
from ..core.state import OptimizerRecord, PendingEvaluation, RunState
from ..errors import CheckpointError, GloMPOError
from .evaluations import FailureWatch, describe_failure, function_value
from .executors import CompletedCall, SerialExecutor, in_flight_limit
from .hunting import Hunting
from .in_flight import InFlight
from .outputs import RunLog, RunMovie
from .replay import Replay, ReplayedCall
from .signals import SignalCatcher
from .spawning import start_optimizer
from .status import status_line
from .user_files import POLL_SECONDS, UserFiles

__all__ = ["Session"]

logger = get_logger(__name__)

_WAIT_SECONDS = 0.1  # longest wait for a result before the loop looks around again
_ASK_CRASH_LIMIT = 10  # optimizers crashed in ask() in a row, no point asked, that end the run
_LOG_WRITE_SECONDS = 1.0  # longest a processed row waits before it is written (replay finds it)


class Session:
    """Runs the optimization from the current state until it converges or is interrupted.

    Parameters
    ----------
    settings, state, task
        The manager's.
    executor
        Where evaluations run.
    log, movie
        The open HDF5 log and movie timeline, or ``None``.
    signals
        The session's signal catcher: it listens while the loop runs and holds signals once the
        loop stopped; the caller restores the handlers after writing the outputs.
    """

    def __init__(
        self,
        settings: ManagerSettings,
        state: RunState,
        task: Any,
        executor: cf.Executor,
        log: RunLog | None = None,
        movie: RunMovie | None = None,
        *,
        signals: SignalCatcher,
    ) -> None:
        self.settings, self.state, self.task = settings, state, task
        self.log, self.movie = log, movie
        self.signals = signals
        self.number = len(state.sessions)
        self.started = time.monotonic()
        self.interrupt_checkpoint: Path | None = None
        self.converged = False
        self.last_checkpoint_time = self.last_status = self.last_log_write = self.started
        self.f_counter_start = state.f_counter
        self.next_poll = 0.0
        self.user_files = UserFiles(settings.working_dir)
        self.failures = FailureWatch()
        self.ask_crashes = 0
        self.spawning = True  # until the selector refuses a start, for good
        self.slots = in_flight_limit(settings.executor_spec, settings.max_jobs)
        self.running = {i: rec for i, rec in state.optimizers.items() if rec.running}
        self.ended = Counter(rec.status for rec in state.optimizers.values() if not rec.running)
        self.kills_at_convergence = state.history.kills_at_convergence()
        self.hunting = Hunting(settings, state)
        self.replay = None if log is None else Replay.open(settings, state, task)
        inline = type(executor) is SerialExecutor  # a subclass keeps its own submit
        self.in_flight = InFlight(executor, task, inline, self.replay)
        freq = settings.checkpoint_control.checkpoint_iter_frequency
        state.next_iter_checkpoint = (
            (state.f_counter // freq + 1) * freq if math.isfinite(freq) else math.inf
        )

    @property
    def signal_received(self) -> int | None:
        """The signal that stopped the loop (a checkpoint signal or Ctrl-C), or None."""
        return self.signals.received

    # ----------------------------------------------------------------- status and checkpoints
    def elapsed(self) -> float:
        """Seconds of optimization over all sessions."""
        return self.state.elapsed_before + time.monotonic() - self.started

    def status(self) -> RunStatus:
        """The figures convergence checkers look at."""
        st = self.state
        session_elapsed = time.monotonic() - self.started
        return RunStatus(
            f_counter=st.f_counter,
            elapsed=st.elapsed_before + session_elapsed,
            session_elapsed=session_elapsed,
            best_fx=st.best_fx,
            n_started=st.n_started,
            n_converged=self.ended["converged"],
            n_killed=self.ended["killed"],
            kills_at_convergence=tuple(self.kills_at_convergence),
        )

    def checkpoint(self, reason: str, last: bool = False) -> Any:
        """Take a checkpoint now and return its path; honour ``raise_checkpoint_fail`` on failure.

        Every failing step of a checkpoint arrives here as one :class:`CheckpointError`. Unless
        ``raise_checkpoint_fail``, it is a warning and the run goes on; the path returned is then
        ``None``, or the new checkpoint if only ``keep_past`` failed.
        """
        logger.info("Checkpoint (%s) at f_counter=%d", reason, self.state.f_counter)
        pending = self.in_flight.pending()
        try:
            path = take_checkpoint(
                self.settings,
                self.state,
                self.task,
                elapsed=self.elapsed(),
                session=self.number,
                pending=pending,
                log=self.log,
                movie=self.movie,
                last=last,
            )
        except CheckpointError as exc:
            if self.settings.checkpoint_control.raise_checkpoint_fail:
                raise
            goes_on = "" if last else ", the optimization continues"
            warnings.warn(f"Checkpoint failed{goes_on}: {exc}", stacklevel=2)
            return exc.written
        finally:  # a checkpoint writes the log first: the next timed write is a while after it
            self.last_checkpoint_time = self.last_log_write = time.monotonic()
        return path

    # ------------------------------------------------------------------------------- the loop
    def run(self) -> None:
        """Run until convergence or a checkpoint signal; then hold further signals.

        The signal handlers stay installed when the loop ends: the caller writes the outputs
        and then calls ``signals.restore()``.
        """
        control = self.settings.checkpoint_control
        if control.checkpoint_at_init and self.state.f_counter == 0 and self.number == 1:
            self.checkpoint("at init")
        for ev in self.state.pending:
            self.in_flight.submit(ev)
        self.state.pending = []
        self.signals.listen()
        try:
            self._loop()
        finally:
            self.signals.hold()
            self.in_flight.cancel()  # recorded as pending, or no longer needed

    def _loop(self) -> None:
        while True:
            self._process_finished()
            self._write_log_if_due()
            if self._should_stop():
                break
            self._fill_slots()
            self._look_around()
            if not self.in_flight:
                if self._all_done():
                    continue  # the next pass ends the run
                raise GloMPOError(
                    "No optimizer can propose a point and nothing is being evaluated; "
                    "check the optimizers' ask() methods."
                )
            self.in_flight.wait_any(_WAIT_SECONDS)

    def _all_done(self) -> bool:
        """Whether no optimizer runs or will start, and no evaluation is left to process."""
        return not (self.spawning or self.running or self.in_flight)

    def _should_stop(self) -> bool:
        checker, status = self.settings.convergence_checker, self.status()
        ended = self.converged or checker.check(status)
        if ended or self._all_done():
            self.converged = True
            stopped = self.settings.opt_selector.stop_reason
            self.state.end_reason = (
                checker.explain(status) if ended else f"every optimizer has ended; {stopped}"
            )
            if self.settings.checkpoint_control.checkpoint_at_conv:
                self.checkpoint("at convergence", last=True)
            return True
        if self.signal_received is not None:
            name = signal.Signals(self.signal_received).name
            self.interrupt_checkpoint = self.checkpoint(f"on {name}", last=True)
            written = (
                f"checkpoint {self.interrupt_checkpoint} written"
                if self.interrupt_checkpoint is not None
                else "its checkpoint could not be written (see the warning)"
            )
            self.state.end_reason = f"interrupted by {name}; {written}"
            return True
        return False

    def _write_log_if_due(self) -> None:
        """Write the rows processed so far when the last write is a while ago.

        A killed session thus leaves in its log all but the last second of evaluations, and the
        run resumed from its checkpoint replays them (:mod:`.replay`). It runs before new points
        are submitted: a serial session evaluates a point as it submits it.
        """
        now = time.monotonic()
        if self.log is not None and now - self.last_log_write >= _LOG_WRITE_SECONDS:
            self.last_log_write = now
            self.log.write()

    def _look_around(self) -> None:
        now = time.monotonic()
        freq = self.settings.checkpoint_control.checkpoint_time_frequency
        if now - self.last_checkpoint_time >= freq:
            self.checkpoint("time frequency")
        if now - self.last_status >= self.settings.status_frequency:
            self.last_status = now
            done = (self.state.f_counter - self.f_counter_start, now - self.started)
            logger.info(status_line(self.state, len(self.running), self.elapsed(), done))
        if now >= self.next_poll:
            self.next_poll = now + POLL_SECONDS
            self._poll_user_files()

    def _poll_user_files(self) -> None:
        for path in self.user_files.found():
            if path.name == CHECKPOINT_REQUEST:
                self.checkpoint(f"{path.name} file")
            else:
                record = self.user_files.to_stop(path, self.state)
                if record is None:
                    continue
                if record.running:
                    self._end_optimizer(record, "killed", f"stopped by the user ({path.name} file)")
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------------- asking and telling
    def _fill_slots(self) -> None:
        while len(self.in_flight) < self.slots:
            room = self.spawning and len(self.running) < self.settings.max_optimizers
            if room and self._start_optimizer():
                continue
            if not self._submit_next_point():
                return

    def _submit_next_point(self) -> bool:
        running = list(self.running.values())
        if len(running) > 1:
            count = self.in_flight.count
            running.sort(key=lambda rec: (count(rec.opt_id), rec.opt_id))
        for rec in running:
            try:
                x = rec.active.ask()
            except Exception as exc:  # as in tell: the optimizer crashes, not the run
                self._ask_crashed(rec, exc)
                return True  # look again: another optimizer may start in its place
            if x is not None:
                self.ask_crashes = 0
                ev = PendingEvaluation(self.state.next_eval_id, rec.opt_id, x)
                self.state.next_eval_id += 1
                self.in_flight.submit(ev)
                return True
        return False

    def _ask_crashed(self, record: OptimizerRecord, exc: Exception) -> None:
        reason = f"{record.opt_type}.ask raised {exc!r}"
        self._end_optimizer(record, "crashed", reason)
        self.ask_crashes += 1
        if self.ask_crashes >= _ASK_CRASH_LIMIT:
            raise GloMPOError(
                f"{self.ask_crashes} optimizers in a row crashed in ask(), the last as "
                f"{reason}; check the optimizers and their settings."
            )

    def _start_optimizer(self) -> bool:
        """Start the optimizer the selector chooses; ``False`` once it starts no more."""
        record = start_optimizer(self.settings, self.state, len(self.running))
        if record is None:
            self.spawning = False
            logger.info("No more optimizers start: %s", self.settings.opt_selector.stop_reason)
            return False
        self.running[record.opt_id] = record
        if self.settings.share_best_solutions and self.state.best_x is not None:
            self._share_best([record], self.state.best_x, self.state.best_fx)
        if self.log is not None:
            self.log.add_optimizer(
                record.opt_id, record.opt_type, record.start_call, record.options
            )
        logger.debug("Started optimizer %d (%s)", record.opt_id, record.opt_type)
        return True

    def _process_finished(self) -> None:
        for ev, future in self.in_flight.finished():
            self._handle_result(ev, future)
            if self.converged or self.settings.convergence_checker.check(self.status()):
                self.converged = True
                return

    def _handle_result(self, ev: PendingEvaluation, future: cf.Future | CompletedCall) -> None:
        st = self.state
        record = st.optimizers[ev.opt_id]
        exc = future.exception()
        failure = None
        if exc is None:
            value = future.result()
            fx = value if type(value) is float else function_value(value)
            if fx is None:
                fx, failure = math.nan, describe_failure(None, value)
            else:
                self.failures.succeeded = True
        else:
            fx, failure = math.nan, describe_failure(exc)
        st.f_counter += 1
        call_id = st.f_counter
        record.n_evals += 1
        if self.log is not None:
            self.log.put_iteration(ev.opt_id, call_id, ev.x, fx)
            if isinstance(future, ReplayedCall) and self.replay is not None:
                self.replay.processed(future, ev.opt_id, call_id, self.log)
        if failure is not None:
            self._evaluation_failed(record, call_id, failure, exc)
        elif fx == fx:  # not nan
            self._evaluated(record, ev, call_id, fx)
        else:
            self.failures.nan(ev.opt_id, call_id)
            if record.running:
                self._tell(record, ev.x, fx)
        if self.hunting.due(call_id):
            for victim, reason in self.hunting.hunt(self.running.values()):
                self._end_optimizer(victim, "killed", reason)
        if call_id >= st.next_iter_checkpoint:
            freq = self.settings.checkpoint_control.checkpoint_iter_frequency
            st.next_iter_checkpoint = (call_id // freq + 1) * freq
            if not self.settings.convergence_checker.check(self.status()):
                self.checkpoint("evaluation frequency")

    def _evaluated(
        self, record: OptimizerRecord, ev: PendingEvaluation, call_id: int, fx: float
    ) -> None:
        st = self.state
        if fx < record.best_fx:
            record.best_fx, record.best_x, record.evals_at_improvement = fx, ev.x, record.n_evals
        if fx < st.best_fx:
            st.best_x, st.best_fx, st.best_opt_id, st.best_call_id = ev.x, fx, ev.opt_id, call_id
            if self.settings.share_best_solutions:
                self._share_best(list(self.running.values()), ev.x, fx)
        st.history.add_point(ev.opt_id, call_id, fx)
        if self.movie is not None:
            self.movie.notify_point(ev.opt_id, call_id, fx)
        if record.running:
            self._tell(record, ev.x, fx)

    def _evaluation_failed(
        self, record: OptimizerRecord, call_id: int, failure: str, exc: BaseException | None
    ) -> None:
        """Crash the optimizer that asked for the point; a late failure only leaves a message."""
        reason = f"evaluation {call_id} failed: {failure}"
        crashed = record.running
        if crashed:
            self._end_optimizer(record, "crashed", reason)
        elif self.log is not None:
            self.log.put_message(record.opt_id, call_id, reason)
        self.failures.failed(record.opt_id, call_id, failure, exc, crashed)

    def _tell(self, record: OptimizerRecord, x: np.ndarray, fx: float) -> None:
        self.hunting.remember(record, x, fx)
        try:
            record.active.tell(x, fx)
            reason = record.active.stop_reason()
        except Exception as exc:
            self._end_optimizer(record, "crashed", f"{record.opt_type} raised {exc!r}")
            return
        if reason is not None:
            self._end_optimizer(record, "converged", reason)

    def _share_best(self, records: list[OptimizerRecord], x: np.ndarray, fx: float) -> None:
        """Hand the run's best point to each optimizer that takes one (``share_best_solutions``)."""
        for record in records:
            inject = getattr(record.active, "inject", None)
            if not callable(inject):
                continue
            try:
                inject(x.copy(), fx)
            except Exception as exc:
                self._end_optimizer(record, "crashed", f"{record.opt_type}.inject raised {exc!r}")

    def _end_optimizer(self, record: OptimizerRecord, status: str, reason: str) -> None:
        st = self.state
        record.status, record.end_reason, record.end_call = status, reason, st.f_counter
        self.running.pop(record.opt_id, None)
        self.ended[status] += 1
        if status == "converged":
            self.kills_at_convergence.append(self.ended["killed"])
        record.optimizer = None
        self.hunting.forget(record)
        trace = st.history.traces.get(record.opt_id)
        fx = float(trace.fx[-1]) if trace is not None and len(trace) else None
        marker = st.history.add_marker(status, st.f_counter, record.opt_id, fx, reason)
        if trace is not None:
            trace.freeze()
        if self.movie is not None:
            self.movie.notify_marker(marker)
        if self.log is not None:
            self.log.put_message(record.opt_id, st.f_counter, f"{status}: {reason}")
            self.log.end_optimizer(record.opt_id, f"{status}: {reason}", st.f_counter)
        logger.info("Optimizer %d %s: %s", record.opt_id, status, reason)
