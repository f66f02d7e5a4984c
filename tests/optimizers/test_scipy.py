"""``ScipyOptimizeWrapper``: scipy's ``minimize`` run in a thread, one point in flight at a time."""

from __future__ import annotations

import gc
import pickle
import shutil
import threading

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import ScipyOptimizeWrapper
from tests.helpers.ask_tell import BOUNDS, X0, drive
from tests.helpers.minimize_methods import FailsAtCall, global_random_search
from tests.helpers.tasks import rastrigin, sphere


def minimize_threads() -> list[threading.Thread]:
    """The live threads running a ``minimize``."""
    return [t for t in threading.enumerate() if t.name.startswith("minimize-")]


def run_to_the_end(optimizer: ScipyOptimizeWrapper, task=sphere, limit: int = 5000) -> int:
    """Ask and tell until the optimizer stops; return the number of evaluations."""
    while optimizer.stop_reason() is None:
        assert optimizer.n_told < limit
        drive(optimizer, 1, task)
    return optimizer.n_told


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    before = set(minimize_threads())
    yield
    gc.collect()
    assert set(minimize_threads()) <= before


@pytest.mark.parametrize("method", ["Nelder-Mead", "Powell", "L-BFGS-B", "COBYLA"])
def test_it_finds_the_minimum_and_stops_with_scipys_message(method):
    box = [(-5.0, 5.0)] * 3
    optimizer = ScipyOptimizeWrapper(box, [4.0, -3.0, 2.0], method=method, max_evals=3000)
    run_to_the_end(optimizer)
    assert optimizer.best_fx < 1e-6
    assert optimizer.stop_reason().startswith(f"scipy {method}: ")
    assert not minimize_threads()


def test_one_point_is_in_flight_at_a_time():
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0)
    x = optimizer.ask()
    np.testing.assert_array_equal(x, X0)
    assert optimizer.ask() is None and optimizer.n_asked == 1
    optimizer.tell(x, sphere(x))
    assert optimizer.ask() is not None
    optimizer.close()


def test_telling_another_point_is_refused():
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0)
    x = optimizer.ask()
    with pytest.raises(ValueError, match="not the point in flight"):
        optimizer.tell(x + 1e-9, 1.0)
    optimizer.tell(x, 1.0)
    with pytest.raises(ValueError, match="not the point in flight"):
        optimizer.tell(x, 1.0)
    optimizer.close()


def test_max_evals_stops_the_run_and_its_thread():
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0, method="Nelder-Mead", max_evals=12)
    assert run_to_the_end(optimizer, rastrigin) == 12
    assert optimizer.stop_reason() == "max_evals=12 reached"
    assert not minimize_threads()


def test_a_method_without_bounds_is_asked_for_clipped_points_only():
    optimizer = ScipyOptimizeWrapper([(-5.0, 5.0)] * 2, [0.0, 0.0], method="BFGS", max_evals=200)
    points = []
    while optimizer.stop_reason() is None:
        points.extend(drive(optimizer, 1, task=lambda x: float(np.sum((x - 10.0) ** 2))))
    assert len(points) > 5 and np.all(np.abs(points) <= 5.0)
    np.testing.assert_allclose(optimizer.best_x, [5.0, 5.0])


def test_a_failure_inside_minimize_surfaces_from_tell_and_ends_the_thread():
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0, method=FailsAtCall(3))
    drive(optimizer, 1)
    x = optimizer.ask()
    with pytest.raises(RuntimeError, match="fails_at_call_3 raised ArithmeticError"):
        optimizer.tell(x, 1.0)
    assert not minimize_threads()
    assert "ArithmeticError" in optimizer.stop_reason()


def test_closing_or_dropping_it_ends_its_thread():
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0)
    drive(optimizer, 5)
    assert len(minimize_threads()) == 1
    optimizer.close()
    assert not minimize_threads() and optimizer.stop_reason() == "closed"
    with pytest.raises(RuntimeError, match="has stopped: closed"):
        optimizer.ask()
    dropped = ScipyOptimizeWrapper(BOUNDS, X0)
    dropped.ask()
    assert len(minimize_threads()) == 1
    del dropped
    assert not minimize_threads()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "simplex"}, r"unknown method 'simplex'; scipy.optimize.minimize knows .*"),
        ({"method": "Newton-CG"}, r"Newton-CG needs the gradient of the task"),
        ({"max_evals": 0}, r"max_evals must be >= 1, got 0"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        ScipyOptimizeWrapper(BOUNDS, X0, **kwargs)


def test_without_scipy_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r"pip install 'glompo_scope_chkpt\[scipy\]'"):
        ScipyOptimizeWrapper(BOUNDS, X0)


# ------------------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("in_flight", [True, False], ids=["point-in-flight", "between-points"])
def test_a_pickled_copy_replays_its_run_and_goes_on_exactly(in_flight):
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0, method="Powell")  # stops by itself after 87
    drive(optimizer, 37, rastrigin)
    x = optimizer.ask() if in_flight else None
    copy = pickle.loads(pickle.dumps(optimizer))
    assert len(minimize_threads()) == 1  # the copy starts its thread when next used
    if x is not None:
        for opt in (optimizer, copy):
            opt.tell(x, rastrigin(x))
    np.testing.assert_array_equal(drive(copy, 45, rastrigin), drive(optimizer, 45, rastrigin))
    assert len(minimize_threads()) == 2
    for opt in (optimizer, copy):
        opt.close()


def test_a_run_that_cannot_be_replayed_restarts_from_its_best_point_with_a_warning():
    np.random.seed(1)
    optimizer = ScipyOptimizeWrapper(BOUNDS, X0, method=global_random_search)
    drive(optimizer, 30, rastrigin)
    in_flight = optimizer.ask()
    saved = pickle.dumps(optimizer)
    optimizer.close()
    best_x, best_fx = optimizer.best_x, optimizer.best_fx

    asked = []
    for _ in range(2):
        np.random.seed(2)  # the resuming process draws other numbers
        copy = pickle.loads(saved)
        with pytest.warns(RuntimeWarning, match=r"restarting global_random_search from its best"):
            copy.tell(in_flight, rastrigin(in_flight))  # the value in flight is still taken
        assert copy.best_fx == min(best_fx, rastrigin(in_flight))
        first = copy.ask()
        np.testing.assert_array_equal(first, best_x)  # its best when the checkpoint was taken
        copy.tell(first, rastrigin(first))
        asked.append(drive(copy, 40, rastrigin))
        copy.close()
    np.testing.assert_array_equal(*asked)


# ---------------------------------------------------------------------------- managed runs
def test_a_managed_run_ends_the_thread_of_every_optimizer_it_ends(make_manager, tmp_path):
    manager = make_manager(
        opt_selector=CycleSelector((ScipyOptimizeWrapper, {"method": "Nelder-Mead"})),
        control=None,
    )
    (tmp_path / "run" / "STOP_1").touch()
    result = manager.start_manager()
    records = manager.state.optimizers
    assert result.stats["f_counter"] == 600
    assert records[1].status == "killed"
    assert any(rec.end_reason.startswith("scipy Nelder-Mead") for rec in records.values())
    assert len(minimize_threads()) == sum(rec.running for rec in records.values()) > 0


def test_a_resumed_managed_run_that_restarts_is_deterministic(make_manager, tmp_path):
    from glompo_scope_chkpt import GloMPOManager
    from tests.core.test_exact_resume import LOG_NAME
    from tests.helpers.fresh import log_row_bytes

    np.random.seed(1)
    selector = CycleSelector((ScipyOptimizeWrapper, {"method": global_random_search}))
    make_manager(
        opt_selector=selector, control={"checkpoint_iter_frequency": 250}, summary_files=3
    ).start_manager()
    checkpoint = min((tmp_path / "run" / "checkpoints").glob("chk_*.tar.gz"))  # at call 250
    reference = log_row_bytes(tmp_path / "run" / LOG_NAME)
    rows = []
    for name in ("again", "once more"):
        (tmp_path / name).mkdir()
        shutil.copy(tmp_path / "run" / LOG_NAME, tmp_path / name / LOG_NAME)
        np.random.seed(2)
        with pytest.warns(RuntimeWarning, match=r"restarting global_random_search"):
            manager = GloMPOManager.load_manager(checkpoint, working_dir=tmp_path / name)
            manager.start_manager()
        rows.append(log_row_bytes(tmp_path / name / LOG_NAME))
    assert rows[0] == rows[1] and len(rows[0]) == 600
    assert rows[0][:250] == reference[:250] and rows[0] != reference
