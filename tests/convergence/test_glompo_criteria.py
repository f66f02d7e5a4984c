"""GloMPO's convergence criteria: each documented rule, its checks, ``|``/``&`` and ``str``."""

from __future__ import annotations

import math

import pytest

from glompo_scope_chkpt.convergence import (
    KillsAfterConvergence,
    MaxFuncCalls,
    MaxKills,
    MaxOptsStarted,
    MaxSeconds,
    NOptConverged,
    TargetCost,
)
from glompo_scope_chkpt.errors import InvalidSettingError


# ---------------------------------------------------------------------- KillsAfterConvergence
def test_kills_after_convergence_by_default_ends_at_the_first_convergence(make_status):
    checker = KillsAfterConvergence()
    assert not checker.check(make_status(n_killed=5))
    assert checker.check(make_status(n_converged=1, n_killed=5, kills_at_convergence=(5,)))


@pytest.mark.parametrize(
    ("n_killed", "kills_at_convergence", "ends"),
    [
        (2, (2,), False),  # two kills, both before the convergence
        (4, (2,), False),
        (5, (2,), True),  # three after it
        (5, (2, 4), True),  # later convergences do not move the count
        (9, (), False),  # no convergence yet
    ],
)
def test_kills_after_convergence_counts_only_kills_after_the_nth_convergence(
    make_status, n_killed, kills_at_convergence, ends
):
    status = make_status(
        n_killed=n_killed,
        n_converged=len(kills_at_convergence),
        kills_at_convergence=kills_at_convergence,
    )
    assert KillsAfterConvergence(3, 1).check(status) is ends


def test_kills_after_convergence_waits_for_the_nth_convergence(make_status):
    checker = KillsAfterConvergence(1, 2)
    one = make_status(n_killed=4, n_converged=1, kills_at_convergence=(0,))
    two = make_status(n_killed=4, n_converged=2, kills_at_convergence=(0, 3))
    three = make_status(n_killed=4, n_converged=2, kills_at_convergence=(0, 4))
    assert (checker.check(one), checker.check(two), checker.check(three)) == (False, True, False)
    assert checker.describe(one) == "1 of 2 optimizers converged"
    assert checker.describe(three) == "0 of 1 kills after 2 converged"
    assert checker.explain(two) == "2 optimizer(s) converged and 1 killed since (>= 1)"
    assert KillsAfterConvergence().explain(one) == "1 optimizer(s) converged"


# ------------------------------------------------------------- MaxKills, MaxOptsStarted, NOpt...
@pytest.mark.parametrize(
    ("checker", "figure"),
    [
        (MaxKills(3), "n_killed"),
        (MaxOptsStarted(3), "n_started"),
        (NOptConverged(3), "n_converged"),
    ],
)
def test_count_criteria_end_once_their_count_is_reached(make_status, checker, figure):
    assert not checker.check(make_status(**{figure: 2}))
    assert checker.check(make_status(**{figure: 3}))
    assert checker.check(make_status(**{figure: 4}))
    others = {"n_killed", "n_started", "n_converged"} - {figure}
    assert not checker.check(make_status(**dict.fromkeys(others, 99)))


def test_count_criteria_describe_their_count(make_status):
    status = make_status(n_killed=1, n_started=2, n_converged=0)
    assert MaxKills(4).describe(status) == "1 of 4 optimizers killed"
    assert MaxOptsStarted(4).describe(status) == "2 of 4 optimizers started"
    assert NOptConverged(4).describe(status) == "0 of 4 optimizers converged"
    assert MaxKills(1).explain(status) == "1 optimizers killed (>= 1)"


# -------------------------------------------------------------------------------- MaxSeconds
@pytest.mark.parametrize(
    ("checker", "elapsed", "session_elapsed", "ends"),
    [
        (MaxSeconds(session_max=60), 500.0, 59.0, False),
        (MaxSeconds(session_max=60), 0.0, 60.0, True),
        (MaxSeconds(overall_max=60), 59.0, 59.0, False),
        (MaxSeconds(overall_max=60), 61.0, 1.0, True),
    ],
)
def test_max_seconds_session_max_and_overall_max_pick_the_clock(
    make_status, checker, elapsed, session_elapsed, ends
):
    status = make_status(elapsed=elapsed, session_elapsed=session_elapsed)
    assert checker.check(status) is ends


def test_max_seconds_keywords_and_our_form_are_the_same_condition():
    session, overall = MaxSeconds(session_max=30), MaxSeconds(overall_max=90)
    assert (session.session_max, session.overall_max) == (30, None)
    assert (overall.session_max, overall.overall_max) == (None, 90)
    assert MaxSeconds(30, session=True).session_max == 30
    assert MaxSeconds(90).overall_max == 90
    assert (str(session), str(overall)) == (
        "MaxSeconds(session_max=30)",
        "MaxSeconds(overall_max=90)",
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"session_max": 5, "overall_max": 5}, {"seconds": 5, "overall_max": 5}, {"session": True}],
)
def test_max_seconds_needs_exactly_one_limit(kwargs):
    with pytest.raises(InvalidSettingError, match=r"exactly one of seconds"):
        MaxSeconds(**kwargs)


# -------------------------------------------------------------------------------- TargetCost
@pytest.mark.parametrize(
    ("best_fx", "ends"),
    [(2.0 + 0.9e-3, True), (2.0 + 1.1e-3, False), (1.5, True), (math.inf, False)],
)
def test_target_cost_ends_within_atol_of_the_target_or_below_it(make_status, best_fx, ends):
    assert TargetCost(2.0, atol=1e-3).check(make_status(best_fx=best_fx)) is ends


def test_target_cost_with_no_tolerance_ends_at_the_target_or_below(make_status):
    checker = TargetCost(1.0, atol=0)
    assert checker.check(make_status(best_fx=1.0)) and checker.check(make_status(best_fx=0.5))
    assert not checker.check(make_status(best_fx=1.0 + 1e-12))


def test_target_cost_default_atol_is_one_millionth(make_status):
    checker = TargetCost(0.0)
    assert checker.atol == 1e-6
    assert checker.check(make_status(best_fx=0.9e-6))
    assert not checker.check(make_status(best_fx=1.1e-6))
    assert checker.explain(make_status(best_fx=0.5e-6)) == (
        "target cost reached (5e-07 within 1e-06 of 0)"
    )
    assert str(TargetCost(1, atol=0.5)) == "TargetCost(1, atol=0.5)"


# -------------------------------------------------------------------------------- MaxFuncCalls
def test_max_func_calls_takes_glompos_keyword(make_status):
    checker = MaxFuncCalls(fmax=20)
    assert checker.fmax == 20 and checker.check(make_status(f_counter=20))


# ------------------------------------------------------------------------------- combinations
def test_the_documented_combination_reads_and_binds_as_python_does(make_status):
    checker = MaxFuncCalls(20_000) | KillsAfterConvergence(3, 1) & MaxSeconds(60 * 5)
    assert str(checker) == (
        "(MaxFuncCalls(20000) | (KillsAfterConvergence(3, 1) & MaxSeconds(300)))"
    )
    killed = {"n_killed": 3, "n_converged": 1, "kills_at_convergence": (0,)}
    assert not checker.check(make_status(**killed, elapsed=299.0))
    assert checker.check(make_status(**killed, elapsed=300.0))
    assert checker.check(make_status(f_counter=20_000))


def test_a_combination_of_new_criteria_explains_the_parts_that_hold(make_status):
    checker = NOptConverged(2) | MaxKills(2)
    status = make_status(n_killed=2, n_converged=1, kills_at_convergence=(2,))
    assert checker.explain(status) == "2 optimizers killed (>= 2)"


@pytest.mark.parametrize("other", [1, None, KillsAfterConvergence])
def test_combining_with_anything_but_a_criterion_is_a_type_error(other):
    with pytest.raises(TypeError, match=r"combine only with each other"):
        MaxKills(2) | other


# --------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("build", "kind", "message"),
    [
        (lambda: KillsAfterConvergence(-1), ValueError, r"n_killed needs an integer >= 0"),
        (lambda: KillsAfterConvergence(0, 0), ValueError, r"n_converged needs an integer >= 1"),
        (lambda: KillsAfterConvergence(1.0), TypeError, r"n_killed needs an integer"),
        (lambda: MaxKills(0), ValueError, r"MaxKills needs an integer >= 1, got 0"),
        (lambda: MaxKills("3"), TypeError, r"MaxKills needs an integer"),
        (lambda: MaxOptsStarted(None), TypeError, r"MaxOptsStarted needs an integer"),
        (lambda: NOptConverged(True), TypeError, r"NOptConverged needs an integer"),
        (lambda: MaxFuncCalls("100"), TypeError, r"MaxFuncCalls needs a number > 0"),
        (lambda: MaxSeconds(session_max="60"), TypeError, r"MaxSeconds needs a number > 0"),
        (lambda: MaxSeconds(overall_max=-1), ValueError, r"MaxSeconds needs a number > 0"),
        (lambda: TargetCost("0"), TypeError, r"TargetCost needs a number"),
        (lambda: TargetCost(0, atol=-1e-3), ValueError, r"TargetCost atol needs a number >= 0"),
    ],
)
def test_bad_settings_are_refused_with_the_right_kind_of_error(build, kind, message):
    with pytest.raises(kind, match=message) as caught:
        build()
    assert isinstance(caught.value, InvalidSettingError)


# ------------------------------------------------------------------------------ in the manager
def test_the_managers_default_is_kills_after_convergence_and_ends_at_a_convergence(
    make_manager,
):
    manager = make_manager(convergence_checker=None, hunter=None, max_jobs=2)
    assert str(manager.settings.convergence_checker) == "KillsAfterConvergence(0, 1)"
    result = manager.start_manager()
    assert manager.state.count("converged") == 1
    assert result.stats["end_reason"] == "1 optimizer(s) converged"


def test_a_resumed_session_finds_the_kills_before_each_convergence_in_the_history(
    make_manager,
):
    from glompo_scope_chkpt.engine.executors import SerialExecutor
    from glompo_scope_chkpt.engine.loop import Session
    from glompo_scope_chkpt.engine.signals import SignalCatcher

    manager = make_manager()
    for kind in ("killed", "converged", "crashed", "killed", "killed", "converged", "killed"):
        manager.state.history.add_marker(kind, 10, opt_id=1)
    signals = SignalCatcher(manager.settings.checkpoint_signals)
    session = Session(
        manager.settings, manager.state, manager.task, SerialExecutor(), signals=signals
    )
    status = session.status()
    assert status.kills_at_convergence == (1, 3)


def test_the_session_counts_the_kills_made_after_each_convergence(make_manager):
    from glompo_scope_chkpt.hunters import MinFuncCalls, TypeHunter
    from glompo_scope_chkpt.optimizers import CMAOptimizer

    manager = make_manager(
        hunter=TypeHunter(CMAOptimizer) & MinFuncCalls(30),
        hunt_frequency=25,
        convergence_checker=KillsAfterConvergence(2, 1) | MaxFuncCalls(5_000),
    )
    result = manager.start_manager()
    kinds = [m.kind for m in manager.state.history.markers if m.kind in ("killed", "converged")]
    first = kinds.index("converged")
    assert kinds[first + 1 :].count("killed") == 2 and kinds[-1] == "killed"
    assert result.stats["end_reason"] == "1 optimizer(s) converged and 2 killed since (>= 2)"
