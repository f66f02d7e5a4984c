"""``RandomGenerator``: start points drawn uniformly inside the bounds from the run's generator."""

from __future__ import annotations

import numpy as np

from glompo_scope_chkpt.generators import BaseGenerator, RandomGenerator
from tests.helpers.views import make_view

BOUNDS = np.array([[-5.0, 5.0], [0.0, 1e-3], [100.0, 300.0], [-7.5, -7.0]])


def draws(seed: int, n: int, bounds: np.ndarray = BOUNDS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([RandomGenerator().generate(make_view(bounds, rng)) for _ in range(n)])


def test_every_point_lies_inside_the_bounds():
    points = draws(seed=1, n=2000)
    assert points.shape == (2000, len(BOUNDS))
    assert np.all(points >= BOUNDS[:, 0]) and np.all(points <= BOUNDS[:, 1])


def test_points_spread_uniformly_over_the_bounds():
    points = draws(seed=2, n=4000)
    widths = BOUNDS[:, 1] - BOUNDS[:, 0]
    relative = (points - BOUNDS[:, 0]) / widths
    np.testing.assert_allclose(relative.mean(axis=0), 0.5, atol=0.03)
    assert np.all(relative.min(axis=0) < 0.01) and np.all(relative.max(axis=0) > 0.99)


def test_a_parameter_with_equal_bounds_is_that_value():
    bounds = np.array([[2.0, 2.0], [-1.0, 1.0]])
    assert np.all(draws(seed=3, n=50, bounds=bounds)[:, 0] == 2.0)


def test_the_same_seeded_generator_gives_the_same_points():
    np.testing.assert_array_equal(draws(seed=7, n=20), draws(seed=7, n=20))
    assert not np.array_equal(draws(seed=7, n=20), draws(seed=8, n=20))


def test_successive_points_differ_and_come_from_the_given_generator():
    rng = np.random.default_rng(5)
    generator = RandomGenerator()
    first, second = (generator.generate(make_view(BOUNDS, rng)) for _ in range(2))
    assert not np.array_equal(first, second)
    replay = np.random.default_rng(5)
    np.testing.assert_array_equal(first, generator.generate(make_view(BOUNDS, replay)))


def test_the_generator_keeps_no_state_of_its_own():
    used = RandomGenerator()
    used.generate(make_view(BOUNDS, 99))
    np.testing.assert_array_equal(
        used.generate(make_view(BOUNDS, 4)), RandomGenerator().generate(make_view(BOUNDS, 4))
    )
    assert isinstance(used, BaseGenerator) and repr(used) == "RandomGenerator()"
