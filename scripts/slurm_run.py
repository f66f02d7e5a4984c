"""Run one stretch of an optimization inside a (requeued) SLURM job: start it, or resume it.

``scripts/slurm_job.sh`` calls this driver in every run of the job. The driver

1. starts a new optimization when the checkpointing folder holds no checkpoint, else resumes from
   its newest good checkpoint (``GloMPOManager.load_manager(folder, ...)``);
2. runs it until it ends or until SLURM's early warning (SIGUSR1, or SIGTERM) makes the manager
   write a checkpoint and stop;
3. writes ``<working_dir>/slurm_result.json`` (atomically) and exits with a code telling the job
   script what to do:

=====  ===========================================================================================
code   meaning
=====  ===========================================================================================
0      the optimization has ended (converged or out of budget), or had already ended: do not
       requeue. ``slurm_result.json`` holds ``"finished": true``, the result and its statistics.
75     interrupted by a signal after writing a checkpoint (``EX_TEMPFAIL``): requeue the job and
       this driver resumes from that checkpoint.
1      the optimization failed (the traceback is in the job's output): do not requeue.
2      bad command line or optimization file: do not requeue.
=====  ===========================================================================================

The optimization is described by a Python file (``--spec``) defining::

    def new_manager(working_dir: Path, checkpointing_dir: Path) -> GloMPOManager:
        return GloMPOManager.new_manager(..., working_dir=working_dir, checkpoint_control=
            CheckpointingControl(checkpointing_dir=checkpointing_dir, ...), ...)

    def load_kwargs(working_dir: Path, checkpointing_dir: Path) -> dict:   # optional
        return {"task": MyTask()}   # keywords for GloMPOManager.load_manager (task, overrides)

Without ``--spec`` a small built-in example (a Rastrigin function costing 5 ms per call) runs.

A signal that arrives before the manager listens for it is not lost: before the run starts the
driver exits with 75 at once (nothing new to save); while the manager is starting, the signal is
delivered again as soon as the manager's own handler is in place.
"""

from __future__ import annotations

import signal
import threading

_EARLY_SIGNALS = (signal.SIGUSR1, signal.SIGTERM)


class EarlySignals:
    """Catch SIGUSR1/SIGTERM from the first line on, and hand them over to the manager.

    Python's default for SIGUSR1 is to die, which would lose the work since the last checkpoint:
    this catcher records the signal instead. Once the manager installs its own handler (inside
    ``start_manager``), a recorded signal is sent again so that the manager checkpoints and stops.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._callback = self._handler  # one bound-method object, to recognise our handler
        for signum in _EARLY_SIGNALS:
            signal.signal(signum, self._callback)

    def _handler(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
            name = signal.Signals(signum).name
            print(f"slurm_run: received {name} outside the optimization loop", flush=True)
            threading.Thread(target=self._redeliver, args=(signum,), daemon=True).start()

    def _redeliver(self, signum: int) -> None:
        import os
        import time

        while signal.getsignal(signum) is self._callback:
            time.sleep(0.05)
        os.kill(os.getpid(), signum)


EARLY = EarlySignals()  # before the heavy imports below: a signal may come at any time

# ruff: noqa: E402
import argparse
import importlib.util
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

EXIT_DONE = 0
"""The optimization has ended (now or before): do not requeue."""
EXIT_FAILED = 1
"""The optimization raised: do not requeue."""
EXIT_USAGE = 2
"""Bad command line or optimization file: do not requeue."""
EXIT_REQUEUE = 75
"""Interrupted after a checkpoint (``EX_TEMPFAIL``): requeue, the next run resumes."""

RESULT_NAME = "slurm_result.json"
SPEC_MODULE = "glompo_slurm_spec"
"""Name under which the optimization file is imported (dill finds its classes by this name)."""


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
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls, TargetCost
    from glompo_scope_chkpt.demo import DemoTask
    from glompo_scope_chkpt.hunters import StagnationHunter
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
    from glompo_scope_chkpt.selectors import CycleSelector

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
    SystemExit
        With :data:`EXIT_USAGE` if the file is missing or defines no ``new_manager``.
    """
    if not path.is_file():
        _usage_error(f"optimization file {path} does not exist")
    spec = importlib.util.spec_from_file_location(SPEC_MODULE, path)
    if spec is None or spec.loader is None:
        _usage_error(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SPEC_MODULE] = module
    sys.path.insert(0, str(path.parent))  # its neighbours may hold the task's code
    spec.loader.exec_module(module)
    if not callable(getattr(module, "new_manager", None)):
        _usage_error(f"{path} must define new_manager(working_dir, checkpointing_dir)")
    return module


def say(message: str) -> None:
    """Print one line of the driver's progress to the job's output."""
    print(f"slurm_run: {message}", flush=True)


def _usage_error(message: str) -> None:
    print(f"slurm_run: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_USAGE)


def has_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds a checkpoint archive (leftovers of torn writes do not count)."""
    return folder.is_dir() and any(".tmp-" not in p.name for p in folder.glob("*.tar.gz"))


def build_manager(spec: ModuleType | None, working_dir: Path, checkpointing_dir: Path) -> Any:
    """Resume from ``checkpointing_dir`` when it holds a checkpoint, else start a new run.

    Raises
    ------
    SystemExit
        With :data:`EXIT_USAGE` if a new run does not checkpoint into ``checkpointing_dir``
        (every later run of the job would start again from scratch).
    """
    from glompo_scope_chkpt import GloMPOManager

    if has_checkpoint(checkpointing_dir):
        kwargs = {}
        if spec is not None and callable(getattr(spec, "load_kwargs", None)):
            kwargs = dict(spec.load_kwargs(working_dir, checkpointing_dir))
        say(f"resuming from {checkpointing_dir}")
        return GloMPOManager.load_manager(checkpointing_dir, **kwargs)
    say(f"no checkpoint in {checkpointing_dir}: new run")
    make = spec.new_manager if spec is not None else example_new_manager
    manager = make(working_dir, checkpointing_dir)
    used = Path(manager.settings.checkpoint_control.checkpointing_dir).resolve()
    if used != checkpointing_dir.resolve():
        _usage_error(
            f"new_manager checkpoints into {used}, but this job resumes from {checkpointing_dir}:"
            " pass the checkpointing_dir it receives to CheckpointingControl"
        )
    return manager


# ------------------------------------------------------------------------------------ result
def write_result(path: Path, result: Any) -> dict[str, Any]:
    """Write the outcome of this run to ``path`` atomically and return what was written."""
    from glompo_scope_chkpt.fileio import atomic_write_text

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


# -------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see ``--help``)."""
    parser = argparse.ArgumentParser(
        description="Start or resume an optimization in a SLURM job; exit 75 to be requeued."
    )
    parser.add_argument("--spec", type=Path, help="Python file defining new_manager(...)")
    parser.add_argument("--working-dir", type=Path, default=Path("glompo_run"))
    parser.add_argument("--checkpointing-dir", type=Path, help="default: <working-dir>/checkpoints")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one stretch of the optimization and return the exit code (see the module's table)."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    working_dir = args.working_dir.absolute()
    checkpointing_dir = (args.checkpointing_dir or working_dir / "checkpoints").absolute()
    result_path = working_dir / RESULT_NAME
    if already_finished(result_path):
        say(f"{result_path} says the optimization has ended; nothing to do (delete it to rerun)")
        return EXIT_DONE
    spec = load_spec(args.spec.absolute()) if args.spec is not None else None
    try:
        manager = build_manager(spec, working_dir, checkpointing_dir)
        if EARLY.received is not None:
            say("signalled before the run started; nothing new to save")
            return EXIT_REQUEUE
        result = manager.start_manager()
    except Exception:
        traceback.print_exc()
        return EXIT_FAILED
    record = write_result(result_path, result)
    stats = record["stats"]
    state = "interrupted (checkpoint written)" if result.interrupted else "finished"
    say(f"{state} at f_counter={stats['f_counter']}, best fx={result.fx:.6g}")
    say(f"end reason: {stats['end_reason']}")
    return EXIT_REQUEUE if result.interrupted else EXIT_DONE


if __name__ == "__main__":
    sys.exit(main())
