"""Generators given bounds of their own (GloMPO's signatures) and the run's checks of them."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.generators import (
    ExploitExploreGenerator,
    IncumbentGenerator,
    RandomGenerator,
)
from tests.helpers.views import make_view

RUN = np.array([[-5.0, 5.0], [0.0, 10.0]])
OWN = [(-1.0, 1.0), (2.0, 3.0)]


@pytest.mark.parametrize("cls", [RandomGenerator, IncumbentGenerator])
def test_own_bounds_are_where_points_are_drawn(cls):
    generator = cls(OWN)
    generator.check_run(RUN, None)
    points = np.array([generator.generate(make_view(RUN, seed)) for seed in range(300)])
    assert np.all(points >= np.array(OWN)[:, 0]) and np.all(points <= np.array(OWN)[:, 1])
    assert np.ptp(points[:, 1]) > 0.9  # the whole of (2, 3), not one point


def test_without_own_bounds_the_run_bounds_are_used():
    points = np.array([RandomGenerator().generate(make_view(RUN, s)) for s in range(300)])
    assert points[:, 1].max() > 9 and points[:, 0].min() < -4


@pytest.mark.parametrize(
    ("own", "message"),
    [
        ([(-1.0, 1.0)], r"bounds for 1 parameters, but the run has 2"),
        ([(-6.0, 1.0), (0.0, 1.0)], r"reach outside the run's bounds"),
    ],
)
@pytest.mark.parametrize("cls", [RandomGenerator, IncumbentGenerator])
def test_own_bounds_that_do_not_fit_the_run_are_refused(cls, own, message):
    with pytest.raises(InvalidSettingError, match=message):
        cls(own).check_run(RUN, None)


def test_invalid_own_bounds_are_refused_at_once():
    with pytest.raises(InvalidSettingError, match="min must be smaller than max"):
        RandomGenerator([(1.0, 0.0)])


def test_the_manager_checks_the_generator_when_set_up(make_manager):
    with pytest.raises(InvalidSettingError, match="bounds for 2 parameters, but the run has 4"):
        make_manager(generator=RandomGenerator(OWN))
    with pytest.raises(InvalidSettingError, match="needs max_func_calls"):
        from glompo_scope_chkpt.convergence import MaxSeconds

        make_manager(generator=ExploitExploreGenerator(), convergence_checker=MaxSeconds(5))


def test_repr_shows_own_bounds():
    assert repr(RandomGenerator(OWN)) == "RandomGenerator(bounds=[[-1.0, 1.0], [2.0, 3.0]])"
    assert repr(IncumbentGenerator()) == "IncumbentGenerator()"
