"""A failing task never hangs the run: failed evaluations count, crash their optimizer, warn once,
and a task that never works (or cannot reach the workers) ends the run with one clear error."""

from __future__ import annotations

import logging
import math
import time
import warnings

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.convergence import MaxFuncCalls, MaxSeconds
from glompo_scope_chkpt.engine.evaluations import TASK_FAILURE_LIMIT
from glompo_scope_chkpt.errors import InvalidSettingError, TaskFailedError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer


def always_fails(x: np.ndarray) -> float:
    """A task broken from the start."""
    raise ValueError(f"model diverged at {x[0]:.3f}")


class FailsAbove:
    """Raises for every point whose first coordinate is above ``threshold``; counts what it did."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.calls = self.failures = 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if x[0] > self.threshold:
            self.failures += 1
            raise RuntimeError("solver did not converge")
        return float(np.sum(np.asarray(x) ** 2))


class ReturnsAbove:
    """Returns ``odd`` for points whose first coordinate is above ``threshold``, else a float."""

    def __init__(self, threshold: float, odd: object) -> None:
        self.threshold, self.odd = threshold, odd
        self.odd_returns = 0

    def __call__(self, x: np.ndarray) -> object:
        if x[0] > self.threshold:
            self.odd_returns += 1
            return self.odd
        return float(np.sum(np.asarray(x) ** 2))


def _never_ending() -> object:
    """Only the error under test may end these runs; a hang becomes a 20 s time-out."""
    return MaxFuncCalls(10**7) | MaxSeconds(20)


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_a_task_that_always_raises_ends_the_run_with_one_clear_error(
    make_manager, executor, caplog
):
    manager = make_manager(
        task=always_fails, executor=executor, max_jobs=2, convergence_checker=_never_ending()
    )
    start = time.monotonic()
    with (
        caplog.at_level(logging.WARNING),
        pytest.warns(UserWarning, match=r"evaluation 1 failed: ValueError: model diverged") as rec,
        pytest.raises(TaskFailedError, match="before a single evaluation succeeded") as err,
    ):
        manager.start_manager()
    assert time.monotonic() - start < 10
    assert f"{TASK_FAILURE_LIMIT} optimizers crashed" in str(err.value)
    assert "ValueError: model diverged" in str(err.value)
    state = manager.state
    assert state.count("crashed") == TASK_FAILURE_LIMIT
    assert state.n_started <= TASK_FAILURE_LIMIT + manager.settings.max_optimizers
    assert TASK_FAILURE_LIMIT <= state.f_counter <= 2 * TASK_FAILURE_LIMIT + 3
    assert "crashed" in state.end_reason and "TaskFailedError" in state.end_reason
    assert len([w for w in rec if "failed" in str(w.message)]) == 1  # warned once
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert len(tracebacks) == 1 and tracebacks[0].levelno == logging.WARNING
    assert "always_fails" in caplog.text  # the first traceback reaches the user


def test_failed_evaluations_count_are_logged_and_crash_only_their_optimizer(make_manager):
    task = FailsAbove(3.5)
    manager = make_manager(task=task, bounds=[(-5, 5)] * 2, hunter=None, summary_files=3)
    with pytest.warns(UserWarning, match="RuntimeError: solver did not converge") as rec:
        result = manager.start_manager()
    assert len([w for w in rec if "solver did not converge" in str(w.message)]) == 1
    assert result.stats["f_counter"] == 600 == task.calls
    assert task.failures >= 3
    crashed = [r for r in manager.state.optimizers.values() if r.status == "crashed"]
    assert crashed and all("RuntimeError: solver did not converge" in r.end_reason for r in crashed)
    assert sum(r.n_evals for r in manager.state.optimizers.values()) == 600
    assert math.isfinite(result.fx)
    with h5py.File(manager.settings.working_dir / "glompo_log.h5", "r") as log:
        assert log.attrs["f_counter"] == 600
        groups = [g for name, g in log.items() if name.startswith("optimizer_")]
        rows = np.concatenate([g["iter_history"][()] for g in groups])
        failed = rows[np.isnan(rows["fx"])]
        assert len(rows) == 600 and len(failed) == task.failures
        messages = {
            int(call_id): text.decode()
            for g in groups
            for call_id, text in g["messages"][()]
            if b"failed" in text
        }
        for call_id in failed["call_id"]:
            assert (
                f"evaluation {call_id} failed: RuntimeError: solver did not converge"
                in (messages[int(call_id)])
            )
        reasons = [g.attrs["end_reason"] for g in groups if "crashed" in g.attrs["end_reason"]]
        assert len(reasons) == len(crashed)


@pytest.mark.parametrize(
    ("odd", "type_name"),
    [("1.5", "str"), ([1.0], "list"), (None, "NoneType"), (True, "bool")],
)
def test_a_non_number_crashes_its_optimizer_naming_the_type(make_manager, odd, type_name):
    task = ReturnsAbove(3.5, odd)
    manager = make_manager(task=task, bounds=[(-5, 5)] * 2, hunter=None)
    with pytest.warns(UserWarning, match=f"returned {type_name}"):
        result = manager.start_manager()
    assert result.stats["f_counter"] == 600
    assert task.odd_returns >= 1
    crashed = [r for r in manager.state.optimizers.values() if r.status == "crashed"]
    assert crashed and all(f"returned {type_name}" in r.end_reason for r in crashed)
    assert "not a number" in crashed[0].end_reason


@pytest.mark.parametrize("number", [np.float32(2.5), 3, np.int64(4), np.array(1.25)])
def test_every_kind_of_real_number_is_a_value(make_manager, number):
    manager = make_manager(
        task=ReturnsAbove(0.0, number),
        bounds=[(-5, 5)] * 2,
        hunter=None,
        opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 150})),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = manager.start_manager()
    assert result.stats["f_counter"] == 600
    assert manager.state.count("crashed") == 0
    assert isinstance(result.fx, float) and result.fx <= float(number)


def test_nan_counts_as_an_evaluation_and_warns_once(make_manager):
    task = ReturnsAbove(2.0, math.nan)
    manager = make_manager(task=task, bounds=[(-5, 5)] * 2, hunter=None, summary_files=3)
    with pytest.warns(UserWarning, match="returned nan") as rec:
        result = manager.start_manager()
    assert len([w for w in rec if "nan" in str(w.message)]) == 1
    assert task.odd_returns >= 3
    assert result.stats["f_counter"] == 600
    assert manager.state.count("crashed") == 0
    assert math.isfinite(result.fx)
    with h5py.File(manager.settings.working_dir / "glompo_log.h5", "r") as log:
        fx = np.concatenate([g["iter_history"]["fx"] for n, g in log.items() if "optim" in n])
    assert np.isnan(fx).sum() == task.odd_returns


def _local_task_factory():
    def local_task(x: np.ndarray) -> float:
        return float(np.sum(x**2))

    return local_task


@pytest.mark.parametrize(
    ("task", "what"),
    [(lambda x: float(np.sum(x**2)), "lambda"), (_local_task_factory(), "local_task")],
    ids=["lambda", "local function"],
)
def test_a_task_worker_processes_cannot_receive_fails_at_start(make_manager, task, what):
    manager = make_manager(
        task=task,
        executor="processes",
        max_jobs=2,
        summary_files=3,
        convergence_checker=_never_ending(),
    )
    with pytest.raises(InvalidSettingError, match=r"cannot be sent to the worker processes") as err:
        manager.start_manager()
    assert what in str(err.value) and "module level" in str(err.value)
    assert manager.state.f_counter == 0
    assert not (manager.settings.working_dir / "glompo_log.h5").exists()
