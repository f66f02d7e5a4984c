"""``Result``: informative when printed, compared with ``==`` value by value."""

from __future__ import annotations

import math

import numpy as np

from glompo_scope_chkpt import Result

STATS = {
    "f_counter": 600,
    "elapsed_seconds": 1.25,
    "sessions": 2,
    "optimizers_started": 5,
    "optimizers_converged": 1,
    "optimizers_killed": 3,
    "optimizers_crashed": 0,
    "checkpoints": ["run/checkpoints/chk_000.tar.gz", "run/checkpoints/chk_001.tar.gz"],
    "end_reason": "MaxFuncCalls(600) reached",
    "movie": "run/glomporecording.mp4",
}
ORIGIN = {"opt_id": 3, "type": "CMAOptimizer", "call_id": 512}


def result(**changes) -> Result:
    fields = {"x": np.array([0.25, -1.5]), "fx": 0.0123, "stats": STATS, "origin": ORIGIN}
    return Result(**{**fields, **changes})


def test_printing_a_result_tells_the_point_its_value_origin_and_statistics():
    text = str(result())
    for expected in (
        "x: [ 0.25 -1.5 ]",
        "fx: 1.230000e-02",
        "origin: optimizer 3 (CMAOptimizer) at evaluation 512",
        "evaluations: 600 in 1.2 s over 2 session(s)",
        "optimizers: 5 started (1 converged, 3 killed, 0 crashed)",
        "checkpoints: 2, the last run/checkpoints/chk_001.tar.gz",
        "end: MaxFuncCalls(600) reached",
        "movie: run/glomporecording.mp4",
    ):
        assert expected in text, text


def test_an_interrupted_result_says_where_to_resume_from():
    stats = {**STATS, "interrupt_checkpoint": "run/checkpoints/chk_002.tar.gz"}
    text = str(result(stats=stats, interrupted=True))
    assert text.startswith("Result (interrupted")
    assert "resume from: run/checkpoints/chk_002.tar.gz" in text


def test_an_empty_result_prints_too():
    text = str(Result(None, math.inf))
    assert "x: None" in text and "fx: inf" in text and "nothing was evaluated" in text


def test_results_holding_the_same_values_are_equal():
    assert result() == result(x=np.array([0.25, -1.5]), stats=dict(STATS), origin=dict(ORIGIN))
    assert Result(None, math.nan) == Result(None, math.nan)


def test_results_differing_anywhere_are_not_equal():
    base = result()
    assert base != result(x=np.array([0.25, -1.0]))
    assert base != result(x=np.array([0.25, -1.5, 0.0]))
    assert base != result(x=None)
    assert base != result(fx=0.5)
    assert base != result(stats={**STATS, "f_counter": 601})
    assert base != result(origin={**ORIGIN, "opt_id": 4})
    assert base != result(interrupted=True)
    assert base != (base.x, base.fx, base.stats, base.origin)
