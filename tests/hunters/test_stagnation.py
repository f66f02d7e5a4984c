"""``StagnationHunter``: stop an optimizer stalled for ``patience`` evaluations, unless best."""

from __future__ import annotations

import math

import pytest

from glompo_scope_chkpt.core.state import OptimizerRecord
from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.hunters import BaseHunter, StagnationHunter


def record(n_evals: int, evals_at_improvement: int, best_fx: float) -> OptimizerRecord:
    """An optimizer with ``n_evals`` evaluations whose last improvement came at the given one."""
    return OptimizerRecord(
        opt_id=2,
        opt_type="RandomOptimizer",
        optimizer=None,
        start_call=1,
        n_evals=n_evals,
        best_fx=best_fx,
        evals_at_improvement=evals_at_improvement,
    )


@pytest.mark.parametrize(("n_evals", "stalled"), [(50, False), (149, False), (150, True)])
def test_patience_counts_own_evaluations_since_the_last_improvement(n_evals, stalled):
    hunter = StagnationHunter(patience=100)
    reason = hunter.should_kill(record(n_evals, evals_at_improvement=50, best_fx=9.0), 1.0)
    assert (reason is not None) is stalled


def test_the_reason_says_how_long_it_stalled_and_how_far_behind_it_is():
    reason = StagnationHunter(patience=10).should_kill(record(40, 15, best_fx=3.5), best_fx=0.25)
    assert reason == "no improvement in 25 evaluations; its best 3.5 trails the run's best 0.25"


def test_an_optimizer_that_never_found_a_value_is_stopped_once_patience_runs_out():
    hunter = StagnationHunter(patience=5)
    assert hunter.should_kill(record(4, 0, best_fx=math.inf), best_fx=1.0) is None
    assert hunter.should_kill(record(5, 0, best_fx=math.inf), best_fx=1.0) is not None


def test_the_best_optimizer_is_never_stopped_however_long_it_stalls():
    hunter = StagnationHunter(patience=1)
    assert hunter.should_kill(record(10_000, 0, best_fx=-2.0), best_fx=-2.0) is None


@pytest.mark.parametrize(
    ("run_best", "own_best", "spared"),
    [
        (10.0, 11.0, True),
        (10.0, 11.01, False),
        (-10.0, -9.0, True),
        (-10.0, -8.99, False),
        (0.0, 0.0, True),
        (0.0, 1e-12, False),
    ],
)
def test_tolerance_is_relative_to_the_magnitude_of_the_runs_best(run_best, own_best, spared):
    reason = StagnationHunter(patience=1, tolerance=0.1).should_kill(
        record(100, 0, best_fx=own_best), best_fx=run_best
    )
    assert (reason is None) is spared


def test_without_tolerance_any_worse_value_counts_as_not_best():
    hunter = StagnationHunter(patience=1)
    assert hunter.should_kill(record(100, 0, best_fx=1.0 + 1e-12), best_fx=1.0) is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": 0}, r"patience must be >= 1, got 0"),
        ({"patience": -3}, r"patience must be >= 1, got -3"),
        ({"tolerance": -0.01}, r"tolerance must be >= 0, got -0.01"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        StagnationHunter(**kwargs)


def test_defaults_and_repr():
    hunter = StagnationHunter()
    assert isinstance(hunter, BaseHunter)
    assert repr(hunter) == "StagnationHunter(patience=200, tolerance=0)"
    assert repr(StagnationHunter(30, 0.05)) == "StagnationHunter(patience=30, tolerance=0.05)"
