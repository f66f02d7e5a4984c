"""Options of the benchmark functions: shifts, seeds, noise, delays and their checks."""

from __future__ import annotations

import time

import numpy as np
import pytest

import glompo_scope_chkpt.benchmark_fncs as bf
from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError


@pytest.mark.parametrize(
    "function",
    [
        bf.Deceptive(shift_positive=True, seed=0),
        bf.Easom(shift_positive=True),
        bf.Langermann(shift_positive=True),
        bf.Schwefel(3, shift_positive=True),
        bf.Shekel(4, m=7, shift_positive=True),
        bf.Shubert(2, style=4, shift_positive=True),
    ],
    ids=repr,
)
def test_shift_positive_puts_the_minimum_at_zero(function):
    assert function.min_fx == 0.0
    assert function(function.min_x) == pytest.approx(0.0, abs=1e-9)


def test_shift_positive_needs_a_known_minimum():
    with pytest.raises(InvalidSettingError, match="shift_positive needs the minimum"):
        bf.Shekel(2, shift_positive=True)


def test_deceptive_hides_its_minimum_where_its_seed_says():
    a, b, c = bf.Deceptive(4, seed=3), bf.Deceptive(4, seed=3), bf.Deceptive(4, seed=4)
    assert a.min_x == b.min_x != c.min_x
    assert all(0 < value <= 1 for value in a.min_x)


def test_stochastic_noise_is_fresh_without_a_seed_and_a_function_of_the_point_with_one():
    x = [0.3, -2.0, 4.0]
    assert len({bf.Stochastic(3)(x) for _ in range(5)}) == 5
    seeded = bf.Stochastic(3, seed=9)
    assert seeded(x) == seeded(x) == bf.Stochastic(3, seed=9)(x) != bf.Stochastic(3, seed=8)(x)
    values = [seeded(np.array(x) + 1e-9 * k) for k in range(400)]
    assert 0 < min(values) < 0.5 * max(values)  # each draw in [0, 1]


def test_least_squares_noise_and_residuals():
    quiet = bf.ExpLeastSquaresCost(2, seed=1, u_train=(0.0, 3.0), n_train=7)
    assert quiet.resids(quiet.min_x).shape == (7,)
    assert np.all((quiet.u_train >= 0) & (quiet.u_train < 3))
    noisy = bf.ExpLeastSquaresCost(2, seed=1, sigma_eval=0.5, sigma_fixed=0.1)
    x = [0.5, 0.5]
    assert noisy(x) == noisy(x) and noisy.min_fx > 0
    explicit = bf.ExpLeastSquaresCost(2, u_train=[0.0, 1.0, 2.0])
    np.testing.assert_array_equal(explicit.u_train, [0.0, 1.0, 2.0])


def test_delay_slows_each_evaluation():
    function = bf.Rastrigin(2, delay=0.05)
    start = time.monotonic()
    function([0.0, 0.0])
    assert time.monotonic() - start >= 0.05 and function.delay == 0.05


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: bf.Rastrigin(0), InvalidSettingError),
        (lambda: bf.Rastrigin(2.0), InvalidSettingTypeError),
        (lambda: bf.Rastrigin(2, delay=-1), InvalidSettingError),
        (lambda: bf.Rastrigin(2, delay="1"), InvalidSettingTypeError),
        (lambda: bf.Easom(3), InvalidSettingError),
        (lambda: bf.Shekel(5), InvalidSettingError),
        (lambda: bf.Shekel(4, m=6), InvalidSettingError),
        (lambda: bf.Shubert(style=2), InvalidSettingError),
    ],
)
def test_bad_arguments_are_refused_at_once(build, error):
    with pytest.raises(error):
        build()


def test_a_point_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="Ackley takes 3 parameters, got shape"):
        bf.Ackley(3)([0.0, 0.0])


def test_unknown_minima_are_none():
    assert bf.Michalewicz(11).min_fx is None and bf.Rana(3).min_x is None
    assert bf.Shekel(3).min_fx is None and bf.LennardJones(30, 3).min_fx is None


def test_glompo_names():
    assert bf.Trigonometric02 is bf.Trigonometric
    from glompo_scope_chkpt.benchmark_fncs.trigonometric02 import Trigonometric

    assert Trigonometric is bf.Trigonometric
