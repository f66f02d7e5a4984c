"""``CMAOptimizer``: pycma's populations handed out point by point and told back as a whole."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.optimizers import CMAOptimizer
from tests.helpers.ask_tell import BOUNDS, X0, drive
from tests.helpers.tasks import sphere


def ask_all(optimizer: CMAOptimizer) -> list[np.ndarray]:
    """Every point the optimizer hands out before it needs values (a population is < 100)."""
    points = []
    while (x := optimizer.ask()) is not None:
        points.append(x)
        assert len(points) < 100, "the optimizer hands out points without waiting for values"
    return points


def test_a_population_is_handed_out_then_it_waits_for_every_value():
    optimizer = CMAOptimizer(BOUNDS, X0, seed=1, popsize=6)
    population = ask_all(optimizer)
    assert len(population) == 6 and optimizer.n_asked == 6
    for x in population[:5]:
        optimizer.tell(x, sphere(x))
    assert optimizer.ask() is None
    optimizer.tell(population[5], sphere(population[5]))
    following = ask_all(optimizer)
    assert len(following) == 6
    assert not any(np.array_equal(a, b) for a in following for b in population)


def test_values_may_come_back_in_any_order():
    in_order, reversed_ = (CMAOptimizer(BOUNDS, X0, seed=4, popsize=5) for _ in range(2))
    for optimizer, order in ((in_order, slice(None)), (reversed_, slice(None, None, -1))):
        for x in ask_all(optimizer)[order]:
            optimizer.tell(x, sphere(x))
    np.testing.assert_array_equal(ask_all(in_order), ask_all(reversed_))


def test_telling_a_point_outside_the_current_population_is_refused():
    optimizer = CMAOptimizer(BOUNDS, X0, seed=2, popsize=4)
    first = ask_all(optimizer)
    for x in first:
        optimizer.tell(x, sphere(x))
    ask_all(optimizer)
    for stranger in (first[0], first[0] + 1e-9, np.array(X0)):
        with pytest.raises(ValueError, match=r"not a member of the current population"):
            optimizer.tell(stranger, 1.0)
    assert optimizer.n_told == 4


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_failed_evaluation_does_not_stop_the_search(value):
    optimizer = CMAOptimizer(BOUNDS, X0, seed=3, popsize=4)
    population = ask_all(optimizer)
    optimizer.tell(population[0], value)
    for x in population[1:]:
        optimizer.tell(x, sphere(x))
    assert optimizer.stop_reason() is None and len(ask_all(optimizer)) == 4


def test_it_minimises():
    optimizer = CMAOptimizer([(-5.0, 5.0)] * 3, [4.0, -4.0, 3.0], seed=0, popsize=8)
    values = [sphere(x) for x in drive(optimizer, 400)]
    assert min(values[-8:]) < 1e-5 and min(values[:8]) > 1.0


def test_cma_options_reach_pycma():
    optimizer = CMAOptimizer(BOUNDS, X0, seed=0, popsize=4, cma_options={"maxiter": 3})
    drive(optimizer, 12)
    assert optimizer.stop_reason() == "maxiter=3"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma0": 0}, r"sigma0 must be > 0, got 0"),
        ({"sigma0": -0.5}, r"sigma0 must be > 0, got -0.5"),
        ({"popsize": 1}, r"popsize must be >= 2, got 1"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        CMAOptimizer(BOUNDS, X0, **kwargs)
