"""``ChainSelector``: optimizers in order as the evaluation count passes its thresholds."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError
from glompo_scope_chkpt.opt_selectors import ChainSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.views import make_view

FIRST, SECOND = (RandomOptimizer, {"max_evals": 10}), (CMAOptimizer, {"popsize": 6})


def chosen(selector: ChainSelector, f_counter: int):
    return selector.select(make_view(f_counter=f_counter))


def test_the_next_optimizer_starts_from_each_threshold_on():
    selector = ChainSelector(FIRST, SECOND, fcall_thresholds=[1000])
    assert [chosen(selector, f) for f in (0, 999, 1000, 10**6)] == [FIRST, FIRST, SECOND, SECOND]


def test_a_last_threshold_stops_spawning_and_says_why():
    selector = ChainSelector(FIRST, SECOND, fcall_thresholds=[1000, 2000])
    assert chosen(selector, 1999) == SECOND
    assert chosen(selector, 2000) is None
    assert selector.stop_reason == (
        "ChainSelector starts no optimizer from 2000 function evaluations on"
    )


def test_equal_thresholds_skip_an_optimizer():
    selector = ChainSelector(FIRST, SECOND, RandomOptimizer, fcall_thresholds=[50, 50])
    assert chosen(selector, 49) == FIRST and chosen(selector, 50) == (RandomOptimizer, {})


@pytest.mark.parametrize("thresholds", [[], [1, 2, 3]])
def test_a_wrong_number_of_thresholds_is_refused(thresholds):
    with pytest.raises(InvalidSettingError, match=r"2 optimizers need 1 fcall_thresholds"):
        ChainSelector(FIRST, SECOND, fcall_thresholds=thresholds)


def test_decreasing_thresholds_are_refused():
    with pytest.raises(InvalidSettingError, match="must not decrease"):
        ChainSelector(FIRST, SECOND, RandomOptimizer, fcall_thresholds=[200, 100])


@pytest.mark.parametrize("thresholds", [1000, "1000", [True], [None]])
def test_thresholds_that_are_not_numbers_are_type_errors(thresholds):
    with pytest.raises(InvalidSettingTypeError):
        ChainSelector(FIRST, SECOND, fcall_thresholds=thresholds)


def test_repr():
    selector = ChainSelector(FIRST, SECOND, fcall_thresholds=[1000, 2500])
    assert repr(selector) == (
        "ChainSelector((RandomOptimizer, {'max_evals': 10}), (CMAOptimizer, {'popsize': 6}), "
        "fcall_thresholds=[1000, 2500])"
    )
