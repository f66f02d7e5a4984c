"""``glompo-scope-chkpt run``: one stretch of an optimization, started or resumed, in a job.

A batch job (``scripts/slurm_job.sh`` for SLURM) runs the same command every time it starts:

1. a new optimization when the checkpointing folder holds no checkpoint, else a resume from its
   newest good checkpoint (``GloMPOManager.load_manager(folder, ...)``);
2. it runs until it ends, or until the scheduler's warning (SIGUSR1, or SIGTERM) or Ctrl-C makes
   the manager write a checkpoint and stop;
3. ``<working_dir>/glompo_result.json`` records the outcome (atomically), and the exit code tells
   the job what to do:

=====  ===========================================================================================
code   meaning
=====  ===========================================================================================
0      the optimization has ended (converged or out of budget), or had already ended: do not
       requeue. ``glompo_result.json`` holds ``"finished": true``, the result and its statistics.
75     interrupted by a signal after writing a checkpoint (``EX_TEMPFAIL``): run again (requeue)
       and the next run resumes from that checkpoint.
130    stopped by Ctrl-C (SIGINT): like 75, but a person asked for it, so do not requeue. A
       second Ctrl-C stops at once, without a checkpoint; before the run starts, nothing is lost.
1      the optimization failed (the traceback is printed): do not requeue.
2      bad command line or optimization file: do not requeue.
=====  ===========================================================================================

The optimization is a Python file defining::

    def new_manager(working_dir: Path, checkpointing_dir: Path) -> GloMPOManager:
        return GloMPOManager.new_manager(..., working_dir=working_dir, checkpoint_control=
            CheckpointingControl(checkpointing_dir=checkpointing_dir, ...), ...)

    def load_kwargs(working_dir: Path, checkpointing_dir: Path) -> dict:   # optional
        return {"task": MyTask()}   # keywords for GloMPOManager.load_manager (task, overrides)

Without a file, a small built-in example (a Rastrigin function costing 5 ms per call) runs.

A signal that arrives before the manager listens for it is not lost (:class:`EarlySignals`):
before the run starts the command exits with 75 at once (nothing new to save); while the manager
is starting, the signal is delivered again as soon as the manager's own handler is in place.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from .._run_files import CHECKPOINT_FOLDER, RESULT_FILENAME
from ..errors import InvalidSettingError

__all__ = [
    "EXIT_DONE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_REQUEUE",
    "EXIT_USAGE",
    "EarlySignals",
    "run_stretch",
]

EXIT_DONE = 0
"""The optimization has ended (now or before): do not requeue."""
EXIT_FAILED = 1
"""The optimization raised: do not requeue."""
EXIT_USAGE = 2
"""Bad command line or optimization file: do not requeue."""
EXIT_REQUEUE = 75
"""Interrupted after a checkpoint (``EX_TEMPFAIL``): run again, the next run resumes."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (SIGINT), after a checkpoint unless stopped at once: a person stopped it."""

SPEC_MODULE = "glompo_run_spec"
"""Name under which the optimization file is imported (dill finds its classes by this name)."""

_EARLY_SIGNALS = (signal.SIGUSR1, signal.SIGTERM)


class EarlySignals:
    """Catch SIGUSR1/SIGTERM until the manager listens, then hand a caught one over to it.

    Python's default for SIGUSR1 is to die, which would lose the work since the last checkpoint:
    this catcher records the signal instead. Once the manager installs its own handler (inside
    ``start_manager``), a recorded signal is sent again so that the manager checkpoints and stops.
    Create it as early as possible.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._callback = self._handler  # one bound-method object, to recognise our handler
        self._previous = {
            signum: signal.signal(signum, self._callback) for signum in _EARLY_SIGNALS
        }

    def release(self) -> None:
        """Put back the handlers found at creation (where this catcher is still installed)."""
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) is self._callback:
                signal.signal(signum, previous)

    def _handler(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
            _say(f"received {signal.Signals(signum).name} outside the optimization loop")
            threading.Thread(target=self._redeliver, args=(signum,), daemon=True).start()

    def _redeliver(self, signum: int) -> None:
        while (handler := signal.getsignal(signum)) is self._callback:
            time.sleep(0.05)
        if callable(handler):  # the manager's; after release(), the default would kill us
            os.kill(os.getpid(), signum)


def _say(message: str) -> None:
    print(f"glompo-scope-chkpt run: {message}", flush=True)


# ---------------------------------------------------------------------------- the optimization
def example_new_manager(working_dir: Path, checkpointing_dir: Path) -> Any:
    """The built-in example: 6-D Rastrigin at 5 ms per call, two threads, a movie of the scope.

    Parameters
    ----------
    working_dir, checkpointing_dir
        Where the run keeps its outputs and its checkpoints.

    Returns
    -------
    GloMPOManager
        A new optimization, ready for ``start_manager``.
    """
    from .. import CheckpointingControl, GloMPOManager
    from ..convergence import MaxFuncCalls, TargetCost
    from ..hunters import StagnationHunter
    from ..opt_selectors import CycleSelector
    from ..optimizers import CMAOptimizer, RandomOptimizer
    from .demo import DemoTask

    return GloMPOManager.new_manager(
        task=DemoTask(delay=0.005),
        bounds=[(-5.12, 5.12)] * 6,
        opt_selector=CycleSelector(CMAOptimizer, (RandomOptimizer, {"max_evals": 500})),
        working_dir=working_dir,
        executor="threads",
        max_jobs=2,
        seed=0,
        hunter=StagnationHunter(patience=300),
        convergence_checker=MaxFuncCalls(50_000) | TargetCost(1e-6),
        checkpoint_control=CheckpointingControl(
            checkpoint_time_frequency=600, checkpointing_dir=checkpointing_dir, keep_past=3
        ),
        summary_files=3,
        visualisation=True,
        visualisation_args={"record_movie": True, "log_scale": True},
        # No checkpoint yet means nothing to resume: outputs of an earlier start are replaced.
        overwrite_existing=True,
    )


def load_spec(path: Path) -> ModuleType:
    """Import the optimization file ``path`` as module :data:`SPEC_MODULE`.

    Raises
    ------
    InvalidSettingError
        If the file is missing, cannot be imported, or defines no ``new_manager``.
    """
    if not path.is_file():
        raise InvalidSettingError(f"Optimization file {path} does not exist.")
    spec = importlib.util.spec_from_file_location(SPEC_MODULE, path)
    if spec is None or spec.loader is None:
        raise InvalidSettingError(f"{path} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SPEC_MODULE] = module
    sys.path.insert(0, str(path.parent))  # its neighbours may hold the task's code
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        traceback.print_exc()
        raise InvalidSettingError(
            f"Optimization file {path} failed to import ({exc!r}); fix it (traceback above)."
        ) from exc
    if not callable(getattr(module, "new_manager", None)):
        raise InvalidSettingError(
            f"{path} must define new_manager(working_dir, checkpointing_dir) returning a "
            "GloMPOManager."
        )
    return module


def has_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds a checkpoint archive (leftovers of torn writes do not count)."""
    from ..checkpoint.locate import checkpoint_candidates
    from ..errors import CheckpointLoadError

    try:
        return bool(checkpoint_candidates(folder))
    except CheckpointLoadError:
        return False


def _check_returned(spec: ModuleType, name: str, value: Any, kind: type, wanted: str) -> None:
    """Refuse what a function of the optimization file returned if it is not a ``kind``.

    Raises
    ------
    InvalidSettingError
        Naming the file, the function, what it returned and what it must return.
    """
    if not isinstance(value, kind):
        got = "None" if value is None else f"a {type(value).__name__}"
        raise InvalidSettingError(f"{spec.__file__}: {name} returned {got}, not {wanted}.")


def build_manager(spec: ModuleType | None, working_dir: Path, checkpointing_dir: Path) -> Any:
    """Resume from ``checkpointing_dir`` when it holds a checkpoint, else start a new run.

    Raises
    ------
    InvalidSettingError
        If ``new_manager`` or ``load_kwargs`` return the wrong type, or a new run does not
        checkpoint into ``checkpointing_dir`` (every later run of the job would start again from
        scratch).
    """
    from .. import GloMPOManager

    if has_checkpoint(checkpointing_dir):
        kwargs = {}
        if spec is not None and callable(getattr(spec, "load_kwargs", None)):
            kwargs = spec.load_kwargs(working_dir, checkpointing_dir)
            wanted = "a dict of load_manager keywords"
            _check_returned(spec, "load_kwargs", kwargs, Mapping, wanted)
        _say(f"resuming from {checkpointing_dir}")
        return GloMPOManager.load_manager(checkpointing_dir, **kwargs)
    _say(f"no checkpoint in {checkpointing_dir}: new run")
    make = spec.new_manager if spec is not None else example_new_manager
    manager = make(working_dir, checkpointing_dir)
    if spec is not None:
        _check_returned(spec, "new_manager", manager, GloMPOManager, "a GloMPOManager")
    used = Path(manager.settings.checkpoint_control.checkpointing_dir).resolve()
    if used != checkpointing_dir.resolve():
        raise InvalidSettingError(
            f"new_manager checkpoints into {used}, but this job resumes from "
            f"{checkpointing_dir}: pass the checkpointing_dir it receives to CheckpointingControl."
        )
    return manager


def check_signals(manager: Any) -> None:
    """Refuse a manager that would not checkpoint on the scheduler's signals.

    Raises
    ------
    InvalidSettingError
        If ``checkpoint_signals`` lacks SIGUSR1 or SIGTERM: the warning would be swallowed and the
        job killed without a checkpoint.
    """
    missing = [s.name for s in _EARLY_SIGNALS if s not in manager.settings.checkpoint_signals]
    if missing:
        raise InvalidSettingError(
            f"checkpoint_signals lacks {', '.join(missing)}: in a batch job the manager must "
            "checkpoint on SIGUSR1 and SIGTERM; leave checkpoint_signals at its default."
        )


# ------------------------------------------------------------------------------------ result
def write_result(path: Path, result: Any) -> dict[str, Any]:
    """Write the outcome of this run to ``path`` atomically and return what was written."""
    from .._fileio import atomic_write_text

    record = {
        "finished": not result.interrupted,
        "interrupted": result.interrupted,
        "x": None if result.x is None else [float(v) for v in result.x],
        "fx": result.fx,
        "origin": result.origin,
        "stats": result.stats,
        "slurm": {
            "job_id": os.environ.get("SLURM_JOB_ID"),
            "restart_count": int(os.environ.get("SLURM_RESTART_COUNT", "0")),
        },
    }
    atomic_write_text(path, json.dumps(record, indent=2, default=str) + "\n")
    return record


def already_finished(path: Path) -> bool:
    """Whether ``path`` records an optimization that has ended."""
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("finished"))
    except (OSError, ValueError):
        return False


def run_stretch(
    early: EarlySignals,
    spec_path: Path | None,
    working_dir: Path,
    checkpointing_dir: Path | None = None,
) -> int:
    """Start or resume the optimization, run it, record the outcome; return the exit code.

    Parameters
    ----------
    early
        The signal catcher installed when the process started.
    spec_path
        The optimization file, or ``None`` for the built-in example.
    working_dir
        The run's outputs, and ``glompo_result.json``.
    checkpointing_dir
        Where checkpoints are looked for and written (default ``<working_dir>/checkpoints``).

    Raises
    ------
    InvalidSettingError
        If the optimization file is unusable (the caller exits with :data:`EXIT_USAGE`).
    """
    working_dir = working_dir.absolute()
    checkpointing_dir = (checkpointing_dir or working_dir / CHECKPOINT_FOLDER).absolute()
    result_path = working_dir / RESULT_FILENAME
    if already_finished(result_path):
        _say(f"{result_path} says the optimization has ended; nothing to do (delete it to rerun)")
        return EXIT_DONE
    started = False
    try:
        spec = load_spec(spec_path.absolute()) if spec_path is not None else None
        manager = build_manager(spec, working_dir, checkpointing_dir)
        check_signals(manager)
        if early.received is not None:
            _say("signalled before the run started; nothing new to save")
            return EXIT_REQUEUE
        started = True
        result = manager.start_manager()
    except InvalidSettingError:
        raise
    except KeyboardInterrupt:
        if started:  # a second Ctrl-C, or one before the manager listened
            _say("stopped at once by Ctrl-C: run again to resume from the newest checkpoint")
        else:
            _say("Ctrl-C before the run started; nothing new to save")
        return EXIT_INTERRUPTED
    except Exception:
        traceback.print_exc()
        return EXIT_FAILED
    return report(result_path, result)


def report(path: Path, result: Any) -> int:
    """Record ``result`` in ``path``, say how the run ended, and return the exit code for it."""
    stats = write_result(path, result)["stats"]
    state = "interrupted" if result.interrupted else "finished"
    _say(f"{state} at f_counter={stats['f_counter']}, best fx={result.fx:.6g}")
    _say(f"end reason: {stats['end_reason']}")
    if not result.interrupted:
        return EXIT_DONE
    if stats["interrupt_checkpoint"] is None:
        _say(
            "not asking to run again: a resume would redo the work since an older checkpoint; "
            "fix what made the checkpoint fail (see the warning), then run again"
        )
        return EXIT_FAILED
    return EXIT_INTERRUPTED if stats["interrupt_signal"] == "SIGINT" else EXIT_REQUEUE
