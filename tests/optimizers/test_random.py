"""``RandomOptimizer``: x0 first, then uniform points, until ``max_evals`` values were told."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.optimizers import RandomOptimizer
from tests.helpers.ask_tell import BOUNDS, X0, drive


def test_the_first_point_is_the_start_point_and_the_rest_spread_over_the_bounds():
    points = drive(RandomOptimizer(BOUNDS, X0, seed=1, max_evals=3000), 3000)
    np.testing.assert_array_equal(points[0], X0)
    low, high = np.array(BOUNDS).T
    relative = (points[1:] - low) / (high - low)
    np.testing.assert_allclose(relative.mean(axis=0), 0.5, atol=0.03)


@pytest.mark.parametrize("max_evals", [0, -4])
def test_max_evals_below_one_is_refused(max_evals):
    with pytest.raises(InvalidSettingError, match=rf"max_evals must be >= 1, got {max_evals}"):
        RandomOptimizer(BOUNDS, X0, max_evals=max_evals)


def test_it_waits_for_outstanding_values_then_stops_after_max_evals():
    optimizer = RandomOptimizer(BOUNDS, X0, seed=2, max_evals=4)
    asked = [optimizer.ask() for _ in range(4)]
    assert optimizer.ask() is None and optimizer.n_asked == 4
    for x in asked[:3]:
        optimizer.tell(x, 1.0)
    assert optimizer.stop_reason() is None and optimizer.ask() is None
    optimizer.tell(asked[3], 1.0)
    assert optimizer.stop_reason() == "max_evals=4 reached"
