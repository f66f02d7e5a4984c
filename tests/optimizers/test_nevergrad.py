"""``NevergradOptimizer``: nevergrad's algorithms by name, several points in flight, a budget."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import NevergradOptimizer, RandomOptimizer
from tests.helpers.ask_tell import BOUNDS, X0, drive
from tests.helpers.tasks import sphere

ng = pytest.importorskip("nevergrad")


def ask_all(optimizer: NevergradOptimizer) -> list[np.ndarray]:
    """Every point the optimizer hands out before it needs values."""
    points = []
    while (x := optimizer.ask()) is not None:
        points.append(x)
        assert len(points) <= optimizer.workers
    return points


@pytest.mark.parametrize("name", ["TwoPointsDE", "CMA", "OnePlusOne"])
def test_it_minimises_with_the_algorithm_named(name):
    optimizer = NevergradOptimizer([(-5.0, 5.0)] * 3, [4.0, -4.0, 3.0], seed=0, optimizer=name)
    values = [sphere(x) for x in drive(optimizer, 1000)]
    assert min(values) < 1e-2 < min(values[:20])
    assert type(optimizer.ng).__name__ != "NGOpt" and name in repr(optimizer)


def test_up_to_workers_points_are_in_flight_then_it_waits():
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=1, optimizer="TwoPointsDE", workers=4)
    first = ask_all(optimizer)
    assert len(first) == 4 and optimizer.n_asked == 4
    optimizer.tell(first[2], sphere(first[2]))
    assert len(ask_all(optimizer)) == 1


def test_it_stops_when_the_budget_is_spent():
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=2, budget=6, workers=4)
    asked = ask_all(optimizer)
    assert len(asked) == 4
    for x in asked:
        optimizer.tell(x, sphere(x))
    asked = ask_all(optimizer)
    assert len(asked) == 2 and optimizer.ask() is None
    optimizer.tell(asked[0], 1.0)
    assert optimizer.stop_reason() is None
    optimizer.tell(asked[1], 1.0)
    assert optimizer.stop_reason() == "nevergrad TwoPointsDE: budget of 6 evaluations spent"


def test_values_may_come_back_in_any_order_and_only_for_points_in_flight():
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=3, optimizer="PSO", workers=3)
    asked = ask_all(optimizer)
    for x in reversed(asked):
        optimizer.tell(x, sphere(x))
    for stranger in (asked[0], np.array(X0) + 1e-9):
        with pytest.raises(ValueError, match="not a point in flight"):
            optimizer.tell(stranger, 1.0)
    assert optimizer.n_told == 3


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_failed_evaluation_is_told_as_the_worst_loss(value):
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=4, optimizer="CMA", workers=2)
    bad, good = ask_all(optimizer)
    optimizer.tell(bad, value)
    optimizer.tell(good, sphere(good))
    losses = sorted(told.mean for told in optimizer.ng.archive.values())
    assert losses[-1] == 1.0e20 and optimizer.stop_reason() is None
    assert len(ask_all(optimizer)) == 2


def test_a_configured_family_is_accepted():
    family = ng.families.DifferentialEvolution(crossover="twopoints", popsize=8)
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=5, optimizer=family, workers=2)
    assert "DifferentialEvolution" in repr(optimizer)
    assert drive(optimizer, 30).shape == (30, 3)


def test_the_callers_global_numpy_sequence_is_untouched_and_runs_repeat():
    runs = []
    for outside_seed in (1, 2):
        np.random.seed(outside_seed)
        expected = np.random.RandomState(outside_seed).random_sample(3)
        optimizer = NevergradOptimizer(  # one that draws from numpy's global generator
            BOUNDS, X0, seed=6, optimizer="SmallLognormalDiscreteOnePlusOne"
        )
        runs.append(drive(optimizer, 80))
        np.testing.assert_array_equal(np.random.random_sample(3), expected)
    np.testing.assert_array_equal(*runs)


def test_state_survives_a_pickle_round_trip_with_points_in_flight():
    optimizer = NevergradOptimizer(BOUNDS, X0, seed=7, optimizer="CMA", workers=3)
    drive(optimizer, 20)
    in_flight = ask_all(optimizer)
    copy = pickle.loads(pickle.dumps(optimizer))
    for opt in (optimizer, copy):
        for x in in_flight:
            opt.tell(x, sphere(x))
    np.testing.assert_array_equal(drive(copy, 40), drive(optimizer, 40))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "TwoPointDE"}, r"'TwoPointDE' is not in nevergrad's .* names: TwoPointsDE"),
        ({"optimizer": 3}, r"optimizer must be a name of nevergrad's registry .* got 3"),
        ({"budget": 0}, r"budget must be >= 1, got 0"),
        ({"workers": 0}, r"workers must be >= 1, got 0"),
        ({"optimizer": "Cobyla"}, r"runs Cobyla in a thread, which cannot be checkpointed"),
        ({"optimizer": "NGOpt", "budget": 100}, r"NGOpt .* runs Cobyla in a thread"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        NevergradOptimizer(BOUNDS, X0, **kwargs)


def test_without_nevergrad_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "nevergrad", None)
    with pytest.raises(ImportError, match=r"pip install 'glompo_scope_chkpt\[nevergrad\]'"):
        NevergradOptimizer(BOUNDS, X0)


def test_importing_the_optimizers_imports_neither_nevergrad_nor_scipy():
    code = (
        "import sys, glompo_scope_chkpt.optimizers as o; o.NevergradOptimizer; "
        "o.ScipyOptimizeWrapper; print(sorted({'nevergrad', 'scipy'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_managed_run_with_the_default_algorithm(make_manager):
    selector = CycleSelector(NevergradOptimizer)
    manager = make_manager(task=sphere, opt_selector=selector, control=None)
    result = manager.start_manager()
    assert result.stats["f_counter"] == 600 and result.fx < 0.5
    assert {rec.opt_type for rec in manager.state.optimizers.values()} == {"NevergradOptimizer"}


def test_glompos_workers_reaches_it_through_a_selector(recwarn):
    specs = (NevergradOptimizer, {"workers": 3}), (RandomOptimizer, {"workers": 2})
    selector = CycleSelector(*specs)
    assert selector.specs == [(NevergradOptimizer, {"workers": 3}), (RandomOptimizer, {})]
    assert [str(w.message).split(")")[0] for w in recwarn] == ["workers= (RandomOptimizer"]
