"""Conditions combined with ``|`` (either ends the run) and ``&`` (both must hold)."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt.convergence import BaseChecker, MaxFuncCalls, MaxSeconds, TargetCost
from glompo_scope_chkpt.errors import InvalidSettingError

BUDGET, TARGET = MaxFuncCalls(100), TargetCost(0.0)

BOTH_HOLD = {"f_counter": 100, "best_fx": -1.0}
BUDGET_HOLDS = {"f_counter": 100, "best_fx": 5.0}
TARGET_HOLDS = {"f_counter": 10, "best_fx": -1.0}
NONE_HOLD = {"f_counter": 10, "best_fx": 5.0}


@pytest.mark.parametrize(
    ("figures", "either", "both"),
    [
        (NONE_HOLD, False, False),
        (BUDGET_HOLDS, True, False),
        (TARGET_HOLDS, True, False),
        (BOTH_HOLD, True, True),
    ],
)
def test_or_ends_when_either_holds_and_when_both_do(make_status, figures, either, both):
    status = make_status(**figures)
    assert (BUDGET | TARGET).check(status) is either
    assert (TARGET | BUDGET).check(status) is either
    assert (BUDGET & TARGET).check(status) is both
    assert (TARGET & BUDGET).check(status) is both


def test_combinations_nest(make_status):
    checker = (BUDGET | MaxSeconds(60)) & TARGET
    assert isinstance(checker, BaseChecker)
    assert not checker.check(make_status(f_counter=100, best_fx=1.0))
    assert not checker.check(make_status(best_fx=-1.0))
    assert checker.check(make_status(elapsed=60.0, best_fx=-1.0))


@pytest.mark.parametrize("other", [100, "MaxFuncCalls(100)", None, MaxFuncCalls])
def test_combining_with_anything_but_a_condition_is_refused(other):
    with pytest.raises(InvalidSettingError, match=r"combine only with each other"):
        BUDGET | other
    with pytest.raises(InvalidSettingError, match=r"combine only with each other"):
        BUDGET & other


def test_or_explains_only_the_parts_that_hold(make_status):
    checker = BUDGET | TARGET
    budget_only, target_only = make_status(**BUDGET_HOLDS), make_status(**TARGET_HOLDS)
    assert checker.explain(budget_only) == BUDGET.explain(budget_only)
    assert checker.explain(target_only) == TARGET.explain(target_only)
    both = make_status(**BOTH_HOLD)
    assert checker.explain(both) == f"{BUDGET.explain(both)} and {TARGET.explain(both)}"


def test_a_condition_that_does_not_hold_explains_itself_by_its_state(make_status):
    status = make_status(**NONE_HOLD)
    assert (BUDGET | TARGET).explain(status) == (BUDGET | TARGET).describe(status)
    assert (BUDGET | TARGET).describe(status) == (
        f"({BUDGET.describe(status)} or {TARGET.describe(status)})"
    )


def test_and_explains_both_parts(make_status):
    status = make_status(**BOTH_HOLD)
    assert (BUDGET & TARGET).explain(status) == (
        f"{BUDGET.explain(status)} and {TARGET.explain(status)}"
    )
    assert (BUDGET & TARGET).describe(status) == (
        f"({BUDGET.describe(status)} and {TARGET.describe(status)})"
    )


def test_repr_shows_the_operators():
    checker = (BUDGET | MaxSeconds(60, session=True)) & TARGET
    assert repr(checker) == "((MaxFuncCalls(100) | MaxSeconds(60, session=True)) & TargetCost(0))"
