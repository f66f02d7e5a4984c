"""The ask/tell rules every optimizer follows: validation, bounds, seeds, pickled state."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from tests.helpers.ask_tell import BOUNDS, drive
from tests.helpers.tasks import rastrigin


@pytest.mark.parametrize("x0", [[0.0, 1.0], [0.0, 1.0, 20.0, 0.0], [[0.0, 1.0, 20.0]]])
def test_a_start_point_that_does_not_fit_the_bounds_is_refused(make_optimizer, x0):
    with pytest.raises(InvalidSettingError, match=r"x0 has shape .* bounds describe 3 parameters"):
        make_optimizer(x0=x0)


@pytest.mark.parametrize("x", [[0.0, 1.0], [0.0, 1.0, 20.0, 0.0], [[0.0, 1.0, 20.0]]])
def test_telling_a_point_of_the_wrong_shape_is_refused_and_not_counted(make_optimizer, x):
    optimizer = make_optimizer()
    optimizer.ask()
    with pytest.raises(ValueError, match=r"tell: x must have shape \(3,\)"):
        optimizer.tell(x, 1.0)
    assert optimizer.n_told == 0


def test_asks_and_tells_are_counted(make_optimizer):
    optimizer = make_optimizer()
    drive(optimizer, 7)
    x = optimizer.ask()
    assert (optimizer.n_asked, optimizer.n_told) == (8, 7)
    optimizer.tell(x, 0.0)
    assert optimizer.n_told == 8


def test_every_point_asked_lies_inside_the_bounds(make_optimizer):
    points = drive(make_optimizer(seed=3), 400, task=lambda x: -rastrigin(x))
    low, high = np.array(BOUNDS).T
    assert points.shape == (400, 3)
    assert np.all(points >= low) and np.all(points <= high)


def test_the_same_seed_asks_the_same_points(make_optimizer):
    first, again = drive(make_optimizer(seed=11), 60), drive(make_optimizer(seed=11), 60)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, drive(make_optimizer(seed=12), 60))


def test_state_survives_a_pickle_round_trip_mid_run(make_optimizer):
    optimizer = make_optimizer(seed=5)
    drive(optimizer, 23)  # for CMA: two members of its fifth population still to hand out
    in_flight = optimizer.ask()
    copy = pickle.loads(pickle.dumps(optimizer))
    asked = [opt.ask() for opt in (optimizer, copy)]
    np.testing.assert_array_equal(*asked)
    for opt, x in zip((optimizer, copy), asked, strict=True):
        opt.tell(x, 2.0)
        opt.tell(in_flight, 1.0)
    np.testing.assert_array_equal(drive(copy, 50), drive(optimizer, 50))
    assert (copy.n_asked, copy.n_told) == (optimizer.n_asked, optimizer.n_told) == (75, 75)


def test_asking_a_stopped_optimizer_is_an_error(make_optimizer):
    optimizer = make_optimizer(budget=10)
    while optimizer.stop_reason() is None and optimizer.n_told < 100:
        drive(optimizer, 1)
    reason = optimizer.stop_reason()
    assert reason and optimizer.n_told >= 10
    with pytest.raises(RuntimeError, match=rf"has stopped: {reason}"):
        optimizer.ask()
