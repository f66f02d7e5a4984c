"""``BasinHoppingGenerator``: hops from the incumbent, Metropolis moves, a self-tuned step."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError
from glompo_scope_chkpt.generators import BasinHoppingGenerator
from glompo_scope_chkpt.generators.basegenerator import uniform_point
from tests.helpers.views import make_view

BOUNDS = np.array([[-10.0, 10.0]] * 3)
BEST, OTHER = np.array([1.0, 1.0, 1.0]), np.array([-5.0, -5.0, -5.0])


def near(points: np.ndarray, centre: np.ndarray, step: float) -> np.ndarray:
    return np.all(np.abs(points - centre) <= step + 1e-12, axis=1)


def hops(generator: BasinHoppingGenerator, bests: dict, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array(
        [generator.generate(make_view(BOUNDS, rng, bests=bests, o_counter=1)) for _ in range(n)]
    )


def test_before_any_value_the_point_is_random():
    point = BasinHoppingGenerator().generate(make_view(BOUNDS, 3))
    np.testing.assert_array_equal(point, uniform_point(BOUNDS, np.random.default_rng(3)))


def test_points_hop_at_most_one_step_from_the_incumbent():
    points = hops(BasinHoppingGenerator(max_step_size=0.5), {1: (BEST, 0.0)}, 500)
    assert np.all(near(points, BEST, 0.5))
    assert np.all(np.ptp(points, axis=0) > 0.9)  # the whole step, both ways


def test_points_are_clipped_into_the_bounds():
    corner = np.array([10.0, -10.0, 0.0])
    points = hops(BasinHoppingGenerator(max_step_size=2.0), {1: (corner, 0.0)}, 200)
    assert np.all(points >= BOUNDS[:, 0]) and np.all(points <= BOUNDS[:, 1])


@pytest.mark.parametrize(
    ("temperature", "expected"), [(0.0, 0.0), (1.0, math.exp(-1)), (1e12, 1.0)]
)
def test_the_metropolis_chance_of_starting_from_another_optimizer(temperature, expected):
    bests = {1: (BEST, 0.0), 2: (OTHER, 1.0)}
    generator = BasinHoppingGenerator(temperature=temperature, max_step_size=0.5, interval=10**6)
    points = hops(generator, bests, 3000)
    share = near(points, OTHER, 0.5).mean()
    assert share == pytest.approx(expected, abs=0.03)
    assert np.all(near(points, OTHER, 0.5) | near(points, BEST, 0.5))


def test_the_step_shrinks_below_and_grows_above_the_target_rate_never_past_the_maximum():
    generator = BasinHoppingGenerator(max_step_size=0.8, interval=2, factor=0.5)
    history = [  # (incumbent's optimizer, its value, optimizers started)
        (1, 5.0, 1),  # first incumbent; 2nd optimizer: rate 0/1 -> shrink
        (2, 4.0, 2),  # a hop is accepted
        (2, 3.0, 3),  # the same optimizer improving is no hop; 4th: rate 1/3 -> shrink
        (3, 2.0, 4),
        (4, 1.0, 5),  # 6th: rate 3/5 -> grow
        (5, 0.5, 7),  # 8th: rate 4/7 -> grow, to the maximum
        (6, 0.1, 9),  # 10th: rate 5/9 -> grow, but not past the maximum
    ]
    steps = []
    for opt_id, fx, started in history:
        view = make_view(BOUNDS, 0, bests={opt_id: (BEST, fx)}, o_counter=started)
        generator.generate(view)
        steps.append(generator.step_size)
    assert steps == [0.4, 0.4, 0.2, 0.2, 0.4, 0.8, 0.8]
    assert generator.n_accept == 5


def test_the_state_survives_a_pickle_and_replays():
    generator = BasinHoppingGenerator(interval=1)
    bests = {1: (BEST, 0.0), 2: (OTHER, 0.5)}
    hops(generator, bests, 5)
    copy = pickle.loads(pickle.dumps(generator))
    np.testing.assert_array_equal(hops(generator, bests, 5, seed=8), hops(copy, bests, 5, seed=8))
    assert copy.step_size == generator.step_size


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"temperature": -1}, InvalidSettingError),
        ({"temperature": "hot"}, InvalidSettingTypeError),
        ({"max_step_size": 0}, InvalidSettingError),
        ({"target_accept_rate": 1.5}, InvalidSettingError),
        ({"interval": 0}, InvalidSettingError),
        ({"interval": 2.5}, InvalidSettingTypeError),
        ({"factor": 1.0}, InvalidSettingError),
        ({"factor": float("nan")}, InvalidSettingError),
    ],
)
def test_bad_arguments_are_refused_at_once(kwargs, error):
    with pytest.raises(error):
        BasinHoppingGenerator(**kwargs)
