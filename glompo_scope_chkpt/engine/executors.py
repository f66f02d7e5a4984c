"""Where function evaluations run: in the manager's thread, in threads, in processes, or on any
:class:`concurrent.futures.Executor` (Dask's ``Client.get_executor()``, ``MPIPoolExecutor``...)."""

from __future__ import annotations

import concurrent.futures as cf
import signal
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ..errors import InvalidSettingError

__all__ = [
    "EXECUTOR_NAMES",
    "CompletedCall",
    "SerialExecutor",
    "check_task_sendable",
    "in_flight_limit",
    "make_executor",
    "start_workers",
]

EXECUTOR_NAMES = ("serial", "threads", "processes")


class CompletedCall:
    """The finished-future interface the manager's loop reads, for a call already made inline.

    Cheaper than a :class:`concurrent.futures.Future` (no lock, no condition), which matters when
    the objective itself takes microseconds.
    """

    __slots__ = ("_exc", "_value")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._value, self._exc = fn(*args), None
        except Exception as exc:  # the manager decides what a failed evaluation means
            self._value, self._exc = None, exc

    def done(self) -> bool:
        return True

    def cancel(self) -> bool:
        return False

    def exception(self) -> BaseException | None:
        return self._exc

    def result(self) -> Any:
        if self._exc is not None:
            raise self._exc
        return self._value


class SerialExecutor(cf.Executor):
    """Evaluates each submission at once in the calling thread and returns a finished future.

    With a seed, this makes a run exactly reproducible, through any number of checkpoints.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the manager decides what a failed evaluation means
            future.set_exception(exc)
        return future


def _leave_ctrl_c_to_manager() -> None:
    """In a pool's worker: ignore Ctrl-C, which a terminal sends to every process of the job.

    The manager checkpoints on it; a worker that raised KeyboardInterrupt would crash the
    evaluation it runs, or die and break the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_executor(spec: str | cf.Executor, max_jobs: int) -> tuple[cf.Executor, bool]:
    """Return the executor for ``spec`` and whether the manager owns (and must shut) it.

    Raises
    ------
    InvalidSettingError
        If ``spec`` is neither a known name nor an Executor.
    """
    if isinstance(spec, cf.Executor):
        return spec, False
    if spec == "serial":
        return SerialExecutor(), True
    if spec == "threads":
        return cf.ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="glompo-eval"), True
    if spec == "processes":
        pool = cf.ProcessPoolExecutor(max_workers=max_jobs, initializer=_leave_ctrl_c_to_manager)
        return pool, True
    raise InvalidSettingError(
        f"executor must be one of {EXECUTOR_NAMES} or a concurrent.futures.Executor, got {spec!r}."
    )


def in_flight_limit(spec: str | cf.Executor, max_jobs: int) -> int:
    """How many evaluations the manager keeps submitted to the executor built from ``spec``.

    The pools the manager builds itself have exactly ``max_jobs`` workers, so one more submission
    waits in the pool's queue and a worker that finishes starts its next call at once instead of
    waiting for the manager to read the result and ask for a point. At most ``max_jobs``
    evaluations still run at once. An executor given by the user may have more workers than
    ``max_jobs``, so it gets exactly ``max_jobs`` submissions; so does the serial one, which
    has no queue.
    """
    return max_jobs + 1 if spec in ("threads", "processes") else max_jobs


def start_workers(executor: cf.Executor) -> None:
    """Make a process pool start its workers now, before the run opens any file.

    A forked worker inherits every open descriptor: one forked while the HDF5 log is open holds
    HDF5's lock on it until the worker exits, which may be long after the run (an evaluation
    still running), so that resuming in the same process could not open the log. A pool that
    forks starts all its workers at its first submission; other executors are left alone.
    """
    if isinstance(executor, cf.ProcessPoolExecutor):
        executor.submit(int).result()


def check_task_sendable(task: Any, executor: cf.Executor) -> None:
    """Refuse, before anything runs, a task that a process pool cannot send to its workers.

    A :class:`~concurrent.futures.ProcessPoolExecutor` pickles the task for every call; one it
    cannot pickle would fail every evaluation. Other executors are left alone: Dask pickles with
    cloudpickle, which takes lambdas, and a failing task is caught by the manager's loop anyway.

    Raises
    ------
    InvalidSettingError
        If ``executor`` is a process pool and pickling ``task`` fails.
    """
    if not isinstance(executor, cf.ProcessPoolExecutor):
        return
    try:
        ForkingPickler.dumps(task)
    except Exception as exc:  # pickle raises several kinds
        raise InvalidSettingError(
            f"The task {task!r} cannot be sent to the worker processes of the process pool: "
            f"pickling it failed ({type(exc).__name__}: {exc}). Worker processes receive the task "
            "by pickle, which refuses lambdas, local functions and objects holding locks or open "
            "files: define the task at module level in an importable module, or use "
            "executor='threads'."
        ) from exc
