"""``PerturbationGenerator``: normal draws around ``x0``, truncated to the bounds."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.generators import PerturbationGenerator
from glompo_scope_chkpt.generators.peterbation import PerturbationGenerator as ByModule
from tests.helpers.views import make_view

BOUNDS = np.array([[-10.0, 10.0], [0.0, 1.0], [-1.0, 1.0]])


def draws(generator: PerturbationGenerator, n: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.array([generator.generate(make_view(BOUNDS, rng)) for _ in range(n)])


def test_far_from_the_bounds_points_are_normal_around_x0():
    points = draws(PerturbationGenerator([2.0, 0.5, 0.0], [0.5, 0.01, 0.05]))
    np.testing.assert_allclose(points.mean(axis=0), [2.0, 0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(points.std(axis=0), [0.5, 0.01, 0.05], rtol=0.05)


def test_points_never_leave_the_bounds_and_pile_on_the_near_side():
    points = draws(PerturbationGenerator([9.5, 0.0, 0.9], 2.0))
    assert np.all(points >= BOUNDS[:, 0]) and np.all(points <= BOUNDS[:, 1])
    assert np.mean(points[:, 0] > 5) > 0.5  # x0 = 9.5 with sd 2: most of the mass stays near
    assert points[:, 1].min() >= 0.0 and np.median(points[:, 1]) < 0.5
    assert not np.any(points == BOUNDS[:, 1])  # truncated, not clipped onto the bound


def test_a_huge_scale_spreads_points_over_the_whole_box():
    points = draws(PerturbationGenerator([0.0, 0.5, 0.0], 1e9), n=2000)
    widths = BOUNDS[:, 1] - BOUNDS[:, 0]
    np.testing.assert_allclose(np.ptp(points, axis=0) / widths, 1.0, atol=0.02)


def test_draws_come_from_the_run_generator():
    generator = PerturbationGenerator([0.0, 0.5, 0.0], 0.3)
    first = generator.generate(make_view(BOUNDS, 5))
    np.testing.assert_array_equal(first, generator.generate(make_view(BOUNDS, 5)))
    assert ByModule is PerturbationGenerator


@pytest.mark.parametrize(
    ("x0", "scale", "message"),
    [
        ([0.0, 0.5, 0.0], [1.0, 1.0], r"scale must be one number or 3"),
        ([0.0, 0.5, 0.0], 0.0, r"scale must be finite and > 0"),
        ([0.0, float("inf"), 0.0], 1.0, r"x0 must be finite numbers"),
    ],
)
def test_bad_arguments_are_refused_at_once(x0, scale, message):
    with pytest.raises(InvalidSettingError, match=message):
        PerturbationGenerator(x0, scale)


@pytest.mark.parametrize(
    ("x0", "message"),
    [([0.0, 0.5], r"x0 has 2 values, the run has 3"), ([0.0, 2.0, 0.0], r"outside the bounds")],
)
def test_x0_must_fit_the_run(x0, message):
    with pytest.raises(InvalidSettingError, match=message):
        PerturbationGenerator(x0, 1.0).check_run(BOUNDS, None)
