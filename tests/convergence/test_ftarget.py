"""``TargetCost``: the run ends once a good enough value was found."""

from __future__ import annotations

import math

import pytest

from glompo_scope_chkpt.convergence import TargetCost
from glompo_scope_chkpt.errors import InvalidSettingError


@pytest.mark.parametrize(
    ("target", "best_fx", "ends"),
    [
        (1e-6, math.inf, False),
        (1e-6, 0.5, False),
        (1e-6, 1e-6, True),
        (1e-6, -3.0, True),
        (-10, -9.99, False),
        (-10, -10.0, True),
        (0, 0.0, True),
    ],
)
def test_ends_once_the_best_value_is_at_or_below_the_target(make_status, target, best_fx, ends):
    assert TargetCost(target).check(make_status(best_fx=best_fx)) is ends


def test_reads_only_the_best_value(make_status):
    busy = make_status(f_counter=10**9, elapsed=1e9, session_elapsed=1e9, best_fx=2.0)
    assert not TargetCost(1.0).check(busy)


@pytest.mark.parametrize("target", [math.nan, True, "0", None])
def test_a_target_that_is_not_a_number_is_refused(target):
    with pytest.raises(InvalidSettingError, match=r"TargetCost needs a number"):
        TargetCost(target)


def test_describe_and_explain_give_the_best_value_and_the_target(make_status):
    checker = TargetCost(0.001)
    assert checker.describe(make_status(best_fx=0.25)) == "best 0.25 against target 0.001"
    assert checker.explain(make_status(best_fx=0.0005)) == "target cost reached (0.0005 <= 0.001)"
    assert repr(checker) == "TargetCost(0.001)"
