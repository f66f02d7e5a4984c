"""``CMAOptimizer``'s nudging: GloMPO's ``force_injects`` and ``injection_frequency``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError
from glompo_scope_chkpt.optimizers import CMAOptimizer
from tests.helpers.ask_tell import BOUNDS, X0
from tests.helpers.tasks import sphere

GOOD = np.array([0.5, 1.0, 20.0])
"""A point inside ``BOUNDS``, far from ``X0``, injected with a value better than any sphere's."""


def generations(optimizer: CMAOptimizer, count: int) -> list[list[np.ndarray]]:
    """Ask and tell ``count`` whole populations (sphere values); return them."""
    populations = []
    for _ in range(count):
        population = []
        while (x := optimizer.ask()) is not None:
            population.append(x)
        for x in population:
            optimizer.tell(x, sphere(x))
        populations.append(population)
    return populations


def holds(population: list[np.ndarray], point: np.ndarray) -> bool:
    """Whether ``point`` is in ``population`` (up to pycma's rounding through its bounds)."""
    return any(np.allclose(x, point, rtol=0, atol=1e-9) for x in population)


def same(first: list[list[np.ndarray]], second: list[list[np.ndarray]]) -> bool:
    return all(
        len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(first, second, strict=True)
    )


def cma(**kwargs) -> CMAOptimizer:
    return CMAOptimizer(BOUNDS, X0, seed=3, popsize=5, **kwargs)


def test_without_injection_frequency_injected_points_are_ignored():
    nudged, plain = cma(force_injects=True), cma()
    nudged.inject(GOOD, -1.0)
    assert same(generations(nudged, 4), generations(plain, 4))


def test_a_forced_injection_joins_the_population_once_the_frequency_allows():
    optimizer = cma(force_injects=True, injection_frequency=2)
    optimizer.inject(GOOD, -1.0)
    first, second, third, fourth = generations(optimizer, 4)
    assert not holds(first, GOOD) and not holds(second, GOOD)  # 2 generations since the start
    assert holds(third, GOOD)  # exactly as given
    assert not holds(fourth, GOOD)  # used once


def test_injections_are_at_least_injection_frequency_generations_apart():
    optimizer = cma(force_injects=True, injection_frequency=2)
    other = np.array([-0.5, 0.5, 15.0])
    optimizer.inject(GOOD, -2.0)
    generations(optimizer, 2)
    third = generations(optimizer, 1)[0]
    optimizer.inject(other, -3.0)
    fourth, fifth = generations(optimizer, 2)
    assert holds(third, GOOD)
    assert not holds(fourth, other) and holds(fifth, other)


def test_only_the_best_injected_point_is_kept():
    optimizer = cma(force_injects=True, injection_frequency=1)
    worse = np.array([-0.5, 0.5, 15.0])
    optimizer.inject(GOOD, -2.0)
    optimizer.inject(worse, -1.0)
    generations(optimizer, 1)
    second = generations(optimizer, 1)[0]
    assert holds(second, GOOD) and not holds(second, worse)


def test_a_point_no_better_than_the_optimizers_own_best_is_not_injected():
    nudged, plain = (cma(force_injects=True, injection_frequency=1) for _ in range(2))
    generations(nudged, 1), generations(plain, 1)
    nudged.inject(GOOD, 1e9)  # worse than every value the optimizer was told
    assert same(generations(nudged, 3), generations(plain, 3))


def test_an_injection_not_forced_only_nudges_the_population():
    nudged, plain = cma(injection_frequency=1), cma(injection_frequency=1)
    generations(nudged, 1), generations(plain, 1)
    nudged.inject(GOOD, -1.0)
    after_nudge, after_plain = generations(nudged, 1)[0], generations(plain, 1)[0]
    assert not holds(after_nudge, GOOD)
    assert not same([after_nudge], [after_plain])


def test_the_point_waiting_for_injection_survives_a_pickle():
    optimizer = cma(force_injects=True, injection_frequency=2)
    optimizer.inject(GOOD, -1.0)
    generations(optimizer, 1)
    copy = pickle.loads(pickle.dumps(optimizer))
    assert same(generations(copy, 2), generations(optimizer, 2))
    assert holds(generations(pickle.loads(pickle.dumps(cma_at_due())), 1)[0], GOOD)


def cma_at_due() -> CMAOptimizer:
    optimizer = cma(force_injects=True, injection_frequency=1)
    generations(optimizer, 1)
    optimizer.inject(GOOD, -1.0)
    return optimizer


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"injection_frequency": 0}, InvalidSettingError, "injection_frequency needs an integer"),
        ({"injection_frequency": 2.5}, InvalidSettingTypeError, "injection_frequency"),
        ({"injection_frequency": "10"}, TypeError, "injection_frequency"),
        ({"force_injects": "yes"}, TypeError, "force_injects must be True, False or None"),
    ],
)
def test_bad_injection_settings_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        cma(**kwargs)
