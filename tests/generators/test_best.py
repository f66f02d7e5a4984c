"""``IncumbentGenerator``: new optimizers start at the run's best point."""

from __future__ import annotations

import numpy as np

from glompo_scope_chkpt.generators import IncumbentGenerator
from tests.helpers.views import make_view

BOUNDS = [(-2.0, 2.0)] * 3


def test_the_incumbent_is_the_start_point():
    view = make_view(BOUNDS, bests={1: ([1.0, 1.0, 1.0], 5.0), 2: ([0.5, -0.5, 0.1], 2.0)})
    np.testing.assert_array_equal(IncumbentGenerator().generate(view), [0.5, -0.5, 0.1])


def test_the_start_point_is_a_copy_the_optimizer_may_change():
    view = make_view(BOUNDS, bests={1: ([0.5, -0.5, 0.1], 2.0)})
    IncumbentGenerator().generate(view).fill(9.0)
    np.testing.assert_array_equal(IncumbentGenerator().generate(view), [0.5, -0.5, 0.1])


def test_before_any_value_the_point_is_random_from_the_run_generator():
    first = IncumbentGenerator().generate(make_view(BOUNDS, 3))
    assert np.all(np.abs(first) <= 2)
    np.testing.assert_array_equal(first, IncumbentGenerator().generate(make_view(BOUNDS, 3)))
    assert not np.array_equal(first, IncumbentGenerator().generate(make_view(BOUNDS, 4)))


def test_an_incumbent_outside_the_bounds_is_clipped_into_them():
    view = make_view(BOUNDS, bests={1: ([3.0, -1.0, -2.5], 0.0)})
    np.testing.assert_array_equal(IncumbentGenerator().generate(view), [2.0, -1.0, -2.0])
