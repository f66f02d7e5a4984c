"""``RandomSelector``: one of the given optimizers, drawn from the run's seeded generator."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from glompo_scope_chkpt.opt_selectors import RandomSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.views import make_view

SPECS = (CMAOptimizer, (RandomOptimizer, {"max_evals": 5}), (RandomOptimizer, {"max_evals": 9}))


def picks(seed: int, n: int) -> list:
    selector, rng = RandomSelector(*SPECS), np.random.default_rng(seed)
    return [selector.select(make_view(rng=rng, o_counter=i)) for i in range(n)]


def test_every_option_is_drawn_about_equally():
    counts = Counter(repr(pick) for pick in picks(0, 3000))
    assert len(counts) == 3
    for count in counts.values():
        assert count / 3000 == pytest.approx(1 / 3, abs=0.03)


def test_draws_come_from_the_run_generator_only():
    assert picks(5, 40) == picks(5, 40)
    assert picks(5, 40) != picks(6, 40)


def test_repr():
    assert repr(RandomSelector(CMAOptimizer)) == "RandomSelector((CMAOptimizer, {}))"
