"""Each benchmark function has its published minimum at its published minimiser."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import glompo_scope_chkpt.benchmark_fncs as bf

PUBLISHED = [  # (function, published minimum, tolerance of the published digits, minimiser)
    (bf.Ackley(3), 0.0, 1e-12, [0.0] * 3),
    (bf.Alpine01(3), 0.0, 0.0, [0.0] * 3),
    (bf.Alpine02(2), -6.1295, 1e-4, None),
    (bf.Deceptive(3, seed=1), -1.0, 1e-12, None),
    (bf.Easom(), -1.0, 0.0, [math.pi, math.pi]),
    (bf.ExpLeastSquaresCost(3, seed=2), 0.0, 0.0, None),
    (bf.Griewank(3), 0.0, 0.0, [0.0] * 3),
    (bf.Langermann(), -5.1621259, 1e-6, [2.00299219, 1.006096]),
    (bf.Levy(3), 0.0, 1e-12, [1.0] * 3),
    (bf.Michalewicz(2), -1.8013, 1e-4, [2.20, 1.57]),
    (bf.Michalewicz(5), -4.687658, 1e-6, None),
    (bf.Michalewicz(10), -9.66015, 1e-5, None),
    (bf.Qing(3), 0.0, 1e-12, [1.0, math.sqrt(2), math.sqrt(3)]),
    (bf.Rastrigin(3), 0.0, 0.0, [0.0] * 3),
    (bf.Rosenbrock(3), 0.0, 0.0, [1.0] * 3),
    (bf.Schwefel(2), -418.9829 * 2, 1e-3, [420.9687] * 2),
    (bf.Shekel(4, m=5), -10.1532, 1e-4, [4.0] * 4),
    (bf.Shekel(4, m=7), -10.4029, 1e-4, [4.0] * 4),
    (bf.Shekel(4, m=10), -10.5364, 1e-4, [4.0] * 4),
    (bf.Shubert(2, style=1), -186.7309, 1e-4, None),
    (bf.Stochastic(3, seed=5), 0.0, 0.0, [1.0, 0.5, 1 / 3]),
    (bf.StyblinskiTang(2), -39.16599 * 2, 1e-3, [-2.903534] * 2),
    (bf.Trigonometric(3), 1.0, 0.0, [0.9] * 3),
    (bf.Vincent(3), -3.0, 1e-12, [7.70628098] * 3),
    (bf.ZeroSum(3), 0.0, 0.0, [0.0] * 3),
    (bf.LennardJones(2, 3), -1.0, 1e-12, None),
    (bf.LennardJones(13, 3), -44.326801, 1e-6, None),
]
IDS = [repr(f) for f, *_ in PUBLISHED]

COMPUTED = {  # minima the references do not give, found by a grid search refined by scipy
    bf.Alpine02(4): -48.334820,
    bf.Michalewicz(4): -3.698857,
    bf.Rana(2): -963.225931,
    bf.Shubert(3, style=1): -2709.093506,
    bf.Shubert(2, style=3): -29.675900,
    bf.Shubert(3, style=4): -38.612656,
    bf.Schwefel(5): -2094.914436,
    bf.StyblinskiTang(3): -117.498497,
}
ALL = [f for f, *_ in PUBLISHED] + list(COMPUTED)


@pytest.mark.parametrize(("function", "published", "digits", "x"), PUBLISHED, ids=IDS)
def test_min_fx_is_the_published_minimum(function, published, digits, x):
    assert function.min_fx == pytest.approx(published, abs=digits + 1e-12)


@pytest.mark.parametrize(("function", "published", "digits", "x"), PUBLISHED, ids=IDS)
def test_the_function_takes_its_minimum_at_min_x(function, published, digits, x):
    if function.min_x is None:
        pytest.skip(f"{function!r} publishes no minimiser")
    assert function(function.min_x) == pytest.approx(function.min_fx, abs=1e-9)
    if x is not None:  # min_x is the published point, to its published digits
        np.testing.assert_allclose(function.min_x, x, atol=0.01)


@pytest.mark.parametrize("function", ALL, ids=repr)
def test_no_point_in_the_bounds_is_lower_than_min_fx(function):
    if function.min_fx is None:
        pytest.skip("minimum unknown")
    bounds = np.array(function.bounds)
    rng = np.random.default_rng(0)
    anywhere = rng.uniform(bounds[:, 0], bounds[:, 1], (3000, len(bounds)))
    points = list(anywhere)
    if function.min_x is not None:
        centre = np.array(function.min_x)
        assert np.all(centre >= bounds[:, 0]) and np.all(centre <= bounds[:, 1])
        nearby = centre + rng.normal(0, 1e-4, (500, len(bounds))) * (bounds[:, 1] - bounds[:, 0])
        points += list(np.clip(nearby, bounds[:, 0], bounds[:, 1]))
    lowest = min(function(x) for x in points)
    assert lowest >= function.min_fx - 1e-9


@pytest.mark.parametrize(("function", "value"), COMPUTED.items(), ids=repr)
def test_computed_minima_are_taken_at_min_x(function, value):
    assert function.min_fx == pytest.approx(value, abs=1e-6)
    assert function(function.min_x) == pytest.approx(function.min_fx, rel=1e-12)


def test_rana_is_lower_than_its_published_point():
    rana = bf.Rana(2)
    assert rana([-500.0, -500.0]) == pytest.approx(-928.5478, abs=1e-4)  # the published point
    assert rana.min_fx < -963


@pytest.mark.parametrize("function", ALL, ids=repr)
def test_functions_pickle_and_return_floats(function):
    copy = pickle.loads(pickle.dumps(function))
    x = np.mean(np.array(function.bounds), axis=1)
    value = function(list(x))
    assert type(value) is float and copy(x) == value
    assert len(function.bounds) == function.dims
