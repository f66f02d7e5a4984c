"""``SinglePointGenerator``: every optimizer starts at one point, given or drawn once."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.generators import SinglePointGenerator
from tests.helpers.views import make_view

BOUNDS = np.array([[-1.0, 1.0], [0.0, 4.0]])


def test_the_given_point_is_returned_every_time():
    generator = SinglePointGenerator([0.5, 3.0])
    points = [generator.generate(make_view(BOUNDS, seed)) for seed in range(5)]
    for point in points:
        np.testing.assert_array_equal(point, [0.5, 3.0])
    points[0][0] = 7.0  # each caller gets its own copy
    np.testing.assert_array_equal(generator.generate(make_view(BOUNDS)), [0.5, 3.0])


def test_without_a_point_one_is_drawn_once_and_kept_across_a_pickle():
    generator = SinglePointGenerator()
    first = generator.generate(make_view(BOUNDS, 11))
    assert np.all(first >= BOUNDS[:, 0]) and np.all(first <= BOUNDS[:, 1])
    np.testing.assert_array_equal(first, generator.generate(make_view(BOUNDS, 12)))
    restored = pickle.loads(pickle.dumps(generator))
    np.testing.assert_array_equal(first, restored.generate(make_view(BOUNDS, 13)))
    np.testing.assert_array_equal(first, SinglePointGenerator().generate(make_view(BOUNDS, 11)))


def test_glompos_older_order_bounds_then_point_is_understood():
    generator = SinglePointGenerator([(-1.0, 1.0), (0.0, 4.0)], [0.25, 1.0])
    np.testing.assert_array_equal(generator.generate(make_view(BOUNDS)), [0.25, 1.0])
    assert SinglePointGenerator([(-1.0, 1.0), (0.0, 4.0)]).vector is None


@pytest.mark.parametrize(
    ("x", "message"),
    [([0.0], r"x has 1 values, the run has 2"), ([0.0, 5.0], r"outside the bounds")],
)
def test_a_point_that_does_not_fit_the_run_is_refused(x, message):
    with pytest.raises(InvalidSettingError, match=message):
        SinglePointGenerator(x).check_run(BOUNDS, None)


def test_a_point_that_is_not_numbers_is_refused():
    with pytest.raises(InvalidSettingError, match="must be finite numbers"):
        SinglePointGenerator([0.0, float("nan")])
