"""``MaxSeconds``: the run ends after a time, of the whole run or of one session."""

from __future__ import annotations

import math

import pytest

from glompo_scope_chkpt.convergence import MaxSeconds
from glompo_scope_chkpt.errors import InvalidSettingError


@pytest.mark.parametrize(("elapsed", "ends"), [(0.0, False), (59.9, False), (60.0, True)])
def test_counts_the_time_of_every_session_by_default(make_status, elapsed, ends):
    status = make_status(elapsed=elapsed, session_elapsed=1.0)
    assert MaxSeconds(60).check(status) is ends


def test_a_fresh_session_of_a_long_run_ends_at_once_by_default(make_status):
    assert MaxSeconds(60).check(make_status(elapsed=61.0, session_elapsed=0.0))


@pytest.mark.parametrize(
    ("elapsed", "session_elapsed", "ends"),
    [(61.0, 0.0, False), (1000.0, 59.9, False), (60.0, 60.0, True), (0.0, 75.0, True)],
)
def test_session_true_counts_only_this_session(make_status, elapsed, session_elapsed, ends):
    status = make_status(elapsed=elapsed, session_elapsed=session_elapsed)
    assert MaxSeconds(60, session=True).check(status) is ends


@pytest.mark.parametrize("seconds", [0, -1.5, math.nan, True, "60", None])
def test_a_limit_that_is_not_a_positive_number_is_refused(seconds):
    with pytest.raises(InvalidSettingError, match=r"MaxSeconds needs a number > 0"):
        MaxSeconds(seconds, session=True)


def test_describe_and_explain_say_which_clock_counts(make_status):
    status = make_status(elapsed=90.0, session_elapsed=30.0)
    run, session = MaxSeconds(90), MaxSeconds(30, session=True)
    assert run.describe(status) == "90.0 s of the run's 90 s"
    assert session.describe(status) == "30.0 s of this session's 30 s"
    assert run.explain(status) == "run time limit reached (90.0 s >= 90 s)"
    assert session.explain(status) == "session time limit reached (30.0 s >= 30 s)"
    assert (repr(run), repr(session)) == ("MaxSeconds(90)", "MaxSeconds(30, session=True)")
