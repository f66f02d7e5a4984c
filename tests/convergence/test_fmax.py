"""``MaxFuncCalls``: the run ends once its evaluation budget is spent."""

from __future__ import annotations

import math

import pytest

from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import InvalidSettingError


@pytest.mark.parametrize(("f_counter", "ends"), [(0, False), (99, False), (100, True), (250, True)])
def test_ends_once_the_budget_is_reached(make_status, f_counter, ends):
    assert MaxFuncCalls(100).check(make_status(f_counter=f_counter)) is ends


def test_reads_only_the_evaluation_count(make_status):
    busy = make_status(f_counter=5, elapsed=1e6, session_elapsed=1e6, best_fx=-1e9, n_killed=50)
    assert not MaxFuncCalls(6).check(busy)


@pytest.mark.parametrize("budget", [0, -5, math.nan, True, "100", None])
def test_a_budget_that_is_not_a_positive_number_is_refused(budget):
    with pytest.raises(InvalidSettingError, match=r"MaxFuncCalls needs a number > 0"):
        MaxFuncCalls(budget)


def test_describe_and_explain_give_the_count_and_the_budget(make_status):
    checker = MaxFuncCalls(100)
    assert checker.describe(make_status(f_counter=40)) == "40 of 100 function evaluations"
    assert checker.explain(make_status(f_counter=100)) == (
        "function evaluation budget reached (100 >= 100)"
    )
    assert repr(checker) == "MaxFuncCalls(100)"
