"""GloMPO's hunters: each documented rule on hand-made views, their checks, ``|``/``&``, ``str``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from glompo_scope_chkpt.core.history import Trace
from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.hunters import (
    BaseHunter,
    BestUnmoving,
    EvaluationsUnmoving,
    Hunt,
    LastPointsInvalid,
    MinFuncCalls,
    MinIterations,
    OptimizerView,
    ParameterDistance,
    PseudoConverged,
    StagnationHunter,
    StepSize,
    TimeAnnealing,
    TypeHunter,
    ValueAnnealing,
)
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.unpacks import count_unpacks

BOUNDS = [(0.0, 3.0), (0.0, 4.0)]  # diagonal 5


def view(opt_id: int = 2, **given: Any) -> OptimizerView:
    """An optimizer as the hunters see it; ``fx`` sets its trajectory and, unless given, more."""
    fx = np.asarray(given.pop("fx", [1.0]), dtype=float)
    trace = Trace()
    figures: dict[str, Any] = {
        "opt_type": "RandomOptimizer",
        "start_call": 0,
        "n_evals": len(fx),
        "iterations": len(fx),
        "best_fx": float(fx.min()) if len(fx) else math.inf,
        "trace": trace,
    }
    trace.extend(np.arange(1, len(fx) + 1), fx)
    figures.update(given)
    return OptimizerView(opt_id=opt_id, **figures)


def hunt(victim: OptimizerView, hunter: OptimizerView | None = None, seed: int = 0, **kw) -> Hunt:
    """A comparison of ``victim`` with ``hunter`` (default: optimizer 1 with best value 1)."""
    hunter = hunter if hunter is not None else view(1, fx=[1.0])
    return Hunt(hunter, victim, np.random.default_rng(seed), **kw)


# -------------------------------------------------------------------- BestUnmoving, Pseudo...
@pytest.mark.parametrize("cls", [BestUnmoving, PseudoConverged])
@pytest.mark.parametrize(
    ("fx", "tol", "holds"),
    [
        ([10.0, 5.0, 5.0, 5.0, 5.0], 0.0, True),  # best 5 three values ago and now
        ([10.0, 9.0, 9.0, 4.9, 5.0], 0.0, False),  # improved in the last three
        ([10.0, 5.0, 5.0, 4.9, 5.0], 0.02, True),  # improved by 2 %: within tolerance
        ([10.0, 5.0, 5.0, 4.8, 5.0], 0.02, False),  # by 4 %
        ([-10.0, -10.0, -10.1, -10.0, -10.0], 0.02, True),  # relative to |best then|
        ([1.0, 5.0, 5.0, 5.0], 0.0, True),  # the best then is that of all earlier values
        ([5.0, 5.0, 5.0], 0.0, False),  # no more than `calls` values yet
    ],
)
def test_best_unmoving_compares_the_best_of_now_with_that_of_calls_values_ago(cls, fx, tol, holds):
    assert cls(3, tol).check(hunt(view(fx=fx))) is holds


def test_best_unmoving_says_how_little_the_best_moved():
    hunter = BestUnmoving(2, 0.5)
    assert hunter.verdict(hunt(view(fx=[4.0, 3.0, 9.0]))) == (
        "its best moved from 4 to 3 in its last 2 values (tolerance 0.5)"
    )


# ------------------------------------------------------------------------ EvaluationsUnmoving
@pytest.mark.parametrize(
    ("fx", "tol", "holds"),
    [
        ([9.0, 2.0, 2.0, 2.0], 0.0, True),  # the last three do not vary
        ([9.0, 2.0, 2.1, 1.9], 0.1, True),  # std 0.082 <= 0.1 * 1.9
        ([9.0, 2.0, 2.5, 1.5], 0.1, False),  # std 0.41
        ([2.0, 2.0], 0.5, False),  # fewer than `calls` values
        ([9.0, math.inf, 2.0, 2.0], 0.0, True),  # infinite values are left out
    ],
)
def test_evaluations_unmoving_compares_the_spread_of_the_last_values_with_the_last(fx, tol, holds):
    assert EvaluationsUnmoving(3, tol).check(hunt(view(fx=fx))) is holds


# -------------------------------------------------------------------------- LastPointsInvalid
@pytest.mark.parametrize(
    ("recent_fx", "holds"),
    [
        ([1.0, math.nan, math.inf], True),
        ([math.nan, 1.0, math.nan], False),
        ([math.nan], False),  # fewer than n_iters values
        ([1.0, -math.inf, math.nan], True),
    ],
)
def test_last_points_invalid_holds_when_the_last_values_are_all_undefined(recent_fx, holds):
    victim = view(recent_fx=recent_fx, recent_x=np.zeros((len(recent_fx), 2)))
    hunter = LastPointsInvalid(2)
    assert hunter.points_needed == 2
    assert hunter.check(hunt(victim)) is holds


# ------------------------------------------------------------------ MinFuncCalls, MinIterations
def test_min_func_calls_counts_evaluations_and_min_iterations_counts_iterations():
    victim = view(fx=[1.0] * 10, n_evals=12, iterations=2)
    assert MinFuncCalls(12).check(hunt(victim)) and not MinFuncCalls(13).check(hunt(victim))
    assert MinIterations(2).check(hunt(victim)) and not MinIterations(3).check(hunt(victim))


# -------------------------------------------------------------------------- ParameterDistance
def test_parameter_distance_compares_last_points_with_a_fraction_of_the_diagonal():
    hunter = view(1, recent_x=[[0.0, 0.0], [1.0, 1.0]], recent_fx=[1.0, 1.0])
    near = view(2, recent_x=[[1.3, 1.4]], recent_fx=[2.0])  # 0.5 from the hunter's last point
    far = view(3, recent_x=[[1.3, 1.41]], recent_fx=[2.0])  # 0.506
    condition = ParameterDistance(BOUNDS, 0.1)  # 0.1 * 5 = 0.5
    assert condition.points_needed == 1
    assert condition.check(hunt(near, hunter))
    assert not condition.check(hunt(far, hunter))
    assert condition.verdict(hunt(near, hunter)) == (
        "its last point is 0.5 from optimizer 1's (<= 0.1 x 5)"
    )


def test_parameter_distance_with_test_all_compares_with_every_other_optimizer():
    hunter = view(1, recent_x=[[3.0, 4.0]], recent_fx=[1.0])
    victim = view(2, recent_x=[[0.0, 0.0]], recent_fx=[2.0])
    ended = view(3, recent_x=[[0.1, 0.1]], recent_fx=[3.0], running=False)
    population = [hunter, victim, ended]
    assert not ParameterDistance(BOUNDS, 0.1).check(hunt(victim, hunter))
    everyone = hunt(victim, hunter, population=lambda: population)
    assert ParameterDistance(BOUNDS, 0.1, test_all=True).check(everyone)
    alone = hunt(victim, hunter, population=lambda: [hunter, victim])  # never itself
    assert not ParameterDistance(BOUNDS, 0.1, test_all=True).check(alone)


def test_a_hunt_unpacks_only_the_trajectories_its_hunters_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unpacked = count_unpacks(monkeypatch)
    hunter = view(1, fx=[1.0, 0.5, 0.25], recent_x=[[3.0, 4.0]], recent_fx=[1.0], running=False)
    hunter.trace.freeze()  # the run's best optimizer ended: its trace is packed
    victim = view(2, fx=[3.0] * 5, recent_x=[[0.0, 0.0]], recent_fx=[2.0])
    everyone = hunt(victim, hunter, population=lambda: [hunter, victim])
    assert not ParameterDistance(BOUNDS, 0.1, test_all=True).check(everyone)
    assert BestUnmoving(3).check(everyone)  # reads the victim's values only
    assert unpacked == []
    assert list(hunter.fx) == [1.0, 0.5, 0.25] and list(hunter.call_ids) == [1, 2, 3]
    assert [packed.size for packed in unpacked] == [3]  # both columns at once, then kept
    assert list(hunter.fx) == [1.0, 0.5, 0.25] and len(unpacked) == 1


def test_parameter_distance_needs_points_of_both():
    hunter = view(1)  # keeps no point
    victim = view(2, recent_x=[[0.0, 0.0]], recent_fx=[2.0])
    assert not ParameterDistance(BOUNDS, 0.9).check(hunt(victim, hunter))
    assert not ParameterDistance(BOUNDS, 0.9).check(hunt(view(2), victim))


# ----------------------------------------------------------------------------------- StepSize
def test_step_size_averages_the_steps_between_the_last_points():
    points = [[3.0, 4.0], [0.0, 0.0], [0.3, 0.4], [0.3, 0.0]]  # last steps 0.5 and 0.4
    victim = view(recent_x=points, recent_fx=[1.0] * 4)
    assert StepSize(BOUNDS, 3, 0.091).check(hunt(victim))  # 0.45 <= 0.091 * 5
    assert not StepSize(BOUNDS, 3, 0.089).check(hunt(victim))
    assert StepSize(BOUNDS, 4, 0.4).check(hunt(victim))  # mean of 5, 0.5, 0.4: 1.97 <= 2
    assert not StepSize(BOUNDS, 4, 0.39).check(hunt(victim))
    assert not StepSize(BOUNDS, 5, 1.0).check(hunt(victim))  # fewer points than calls
    assert StepSize(BOUNDS, 5, 1.0).points_needed == 5


# ------------------------------------------------------------------------------ TimeAnnealing
def kill_rate(condition: BaseHunter, victim: OptimizerView, hunter: OptimizerView) -> float:
    rng = np.random.default_rng(3)
    kills = [condition.check(Hunt(hunter, victim, rng)) for _ in range(20_000)]
    return sum(kills) / len(kills)


def test_time_annealing_kills_with_the_chance_a_draw_exceeds_the_age_ratio():
    hunter, victim = view(1, n_evals=100), view(2, n_evals=400)  # ratio 0.25
    assert kill_rate(TimeAnnealing(1), victim, hunter) == pytest.approx(0.75, abs=0.015)
    assert kill_rate(TimeAnnealing(0.5), victim, hunter) == pytest.approx(0.5, abs=0.015)
    assert kill_rate(TimeAnnealing(0.25), victim, hunter) == 0.0  # ratio >= crit_ratio


def test_probabilistic_hunters_draw_from_the_generator_of_the_hunt():
    hunter, victim = view(1, n_evals=100, fx=[1.0]), view(2, n_evals=300, fx=[2.5])
    for condition in (TimeAnnealing(1.2), ValueAnnealing(0.4)):
        first = [condition.check(hunt(victim, hunter, seed=s)) for s in range(40)]
        again = [condition.check(hunt(victim, hunter, seed=s)) for s in range(40)]
        assert first == again and any(first) and not all(first)


# ----------------------------------------------------------------------------- ValueAnnealing
@pytest.mark.parametrize("chance", [0.1, 0.5, 0.8])
def test_value_annealing_kills_a_victim_twice_the_hunter_with_med_kill_chance(chance):
    hunter, victim = view(1, fx=[-3.0]), view(2, fx=[-6.0 + 9.0])  # |(3 - -3) / -3| = 2
    assert kill_rate(ValueAnnealing(chance), view(2, fx=[2.0]), view(1, fx=[1.0])) == (
        pytest.approx(chance, abs=0.015)
    )
    twice_as_far = 1 - (1 - chance) ** 2
    assert kill_rate(ValueAnnealing(chance), victim, hunter) == pytest.approx(
        twice_as_far, abs=0.015
    )


@pytest.mark.parametrize(("hunter_best", "victim_best"), [(1.0, 1.0), (1.0, 0.5), (0.0, 9.0)])
def test_value_annealing_spares_a_victim_as_good_as_the_hunter_without_drawing(
    hunter_best, victim_best
):
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    condition_hunt = Hunt(view(1, fx=[hunter_best]), view(2, fx=[victim_best]), rng)
    assert not ValueAnnealing(0.99).check(condition_hunt)
    assert rng.bit_generator.state == before


# --------------------------------------------------------------------------------- TypeHunter
def test_type_hunter_holds_for_victims_of_its_class():
    cma, random = view(opt_type="CMAOptimizer"), view(opt_type="RandomOptimizer")
    assert TypeHunter(CMAOptimizer).check(hunt(cma))
    assert not TypeHunter(CMAOptimizer).check(hunt(random))
    assert TypeHunter(RandomOptimizer).verdict(hunt(random)) == "it is a RandomOptimizer"


# ---------------------------------------------------------------------------- StagnationHunter
def test_stagnation_hunter_judges_the_victim_against_the_hunters_best():
    victim = view(fx=[5.0], n_evals=40, evals_at_improvement=10)
    assert StagnationHunter(30).verdict(hunt(victim, view(1, fx=[1.0]))) == (
        "no improvement in 30 evaluations; its best 5 trails the run's best 1"
    )
    assert StagnationHunter(31).verdict(hunt(victim)) is None


# ------------------------------------------------------------------------------- combinations
class Counting(BaseHunter):
    """Holds as told and counts how often it was asked."""

    def __init__(self, holds: bool, points: int = 0) -> None:
        self.holds, self.asked, self.points_needed = holds, 0, points

    def check(self, hunt: Hunt) -> bool:
        self.asked += 1
        return self.holds

    def __repr__(self) -> str:
        return f"Counting({self.holds})"


@pytest.mark.parametrize(
    ("left", "right"), [(False, False), (False, True), (True, False), (True, True)]
)
def test_or_and_and_combine_lazily(left, right):
    a, b = Counting(left), Counting(right)
    assert (a | b)(hunt(view())) is (left or right)
    assert b.asked == (0 if left else 1)
    a, b = Counting(left), Counting(right)
    assert (a & b)(hunt(view())) is (left and right)
    assert b.asked == (1 if left else 0)


def test_a_combination_gives_the_reasons_of_the_parts_that_held():
    victim = view(fx=[5.0] * 5, n_evals=5, opt_type="CMAOptimizer")
    both = MinFuncCalls(5) & TypeHunter(CMAOptimizer)
    assert both.verdict(hunt(victim)) == "it did 5 evaluations (>= 5) and it is a CMAOptimizer"
    either = TypeHunter(RandomOptimizer) | MinFuncCalls(2)
    assert either.verdict(hunt(victim)) == "it did 5 evaluations (>= 2)"


def test_a_combination_keeps_the_most_points_any_part_needs():
    combined = (Counting(True, 3) & Counting(True, 7)) | Counting(True, 1)
    assert combined.points_needed == 7


def test_str_reads_as_the_code_that_built_the_condition():
    condition = (BestUnmoving(100, 0.01) & TimeAnnealing(2) & ValueAnnealing()) | (
        ParameterDistance(BOUNDS, 0.1)
    )
    assert str(condition) == (
        "(((BestUnmoving(calls=100, tol=0.01) & TimeAnnealing(crit_ratio=2)) & "
        "ValueAnnealing(med_kill_chance=0.5)) | "
        "ParameterDistance(<2 bounds>, relative_distance=0.1))"
    )
    assert str(EvaluationsUnmoving(20, 0.001)) == "EvaluationsUnmoving(calls=20, tol=0.001)"
    assert str(LastPointsInvalid()) == "LastPointsInvalid(n_iters=1)"
    assert str(MinFuncCalls(5) | MinIterations(2)) == (
        "(MinFuncCalls(min_pts=5) | MinIterations(min_pts=2))"
    )
    assert str(PseudoConverged(50)) == "PseudoConverged(calls=50, tol=0)"
    assert str(StepSize(BOUNDS, 10)) == "StepSize(<2 bounds>, calls=10, relative_tol=0.05)"
    assert str(TypeHunter(CMAOptimizer)) == "TypeHunter(CMAOptimizer)"
    assert str(ParameterDistance(BOUNDS, 0.2, True)).endswith("test_all=True)")


@pytest.mark.parametrize("other", [None, 3, "MinFuncCalls(5)", MinFuncCalls])
def test_combining_with_anything_but_a_hunter_is_a_type_error(other):
    with pytest.raises(TypeError, match=r"Hunters combine only with each other"):
        MinFuncCalls(5) | other
    with pytest.raises(InvalidSettingError, match=r"Hunters combine only with each other"):
        MinFuncCalls(5) & other


# --------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("build", "kind", "message"),
    [
        (lambda: BestUnmoving(0), ValueError, r"BestUnmoving calls needs an integer >= 1, got 0"),
        (lambda: BestUnmoving(10.0), TypeError, r"BestUnmoving calls needs an integer"),
        (lambda: BestUnmoving(10, -0.1), ValueError, r"BestUnmoving tol needs a number >= 0"),
        (lambda: PseudoConverged(10, "0.1"), TypeError, r"PseudoConverged tol needs a number"),
        (lambda: EvaluationsUnmoving(True), TypeError, r"EvaluationsUnmoving calls needs"),
        (lambda: LastPointsInvalid(0), ValueError, r"LastPointsInvalid n_iters needs"),
        (lambda: MinFuncCalls("5"), TypeError, r"MinFuncCalls min_pts needs an integer"),
        (lambda: MinIterations(-1), ValueError, r"MinIterations min_pts needs an integer"),
        (lambda: ParameterDistance(BOUNDS, 0), ValueError, r"relative_distance needs a number > 0"),
        (lambda: ParameterDistance(BOUNDS, None), TypeError, r"relative_distance needs a number"),
        (lambda: ParameterDistance([(1, 0)], 0.1), ValueError, r"min must be smaller than max"),
        (lambda: StepSize(BOUNDS, 1), ValueError, r"StepSize calls needs an integer >= 2"),
        (lambda: StepSize(BOUNDS, 5, math.nan), ValueError, r"relative_tol needs a number > 0"),
        (lambda: TimeAnnealing(0), ValueError, r"TimeAnnealing crit_ratio needs a number > 0"),
        (lambda: TimeAnnealing("2"), TypeError, r"TimeAnnealing crit_ratio needs a number"),
        (lambda: ValueAnnealing(1), ValueError, r"med_kill_chance must be between 0 and 1"),
        (lambda: ValueAnnealing(0), ValueError, r"med_kill_chance must be between 0 and 1"),
        (lambda: ValueAnnealing([0.5]), TypeError, r"med_kill_chance needs a number"),
        (lambda: TypeHunter("CMAOptimizer"), TypeError, r"TypeHunter needs a BaseOptimizer"),
        (lambda: TypeHunter(dict), TypeError, r"TypeHunter needs a BaseOptimizer"),
    ],
)
def test_bad_settings_are_refused_with_the_right_kind_of_error(build, kind, message):
    with pytest.raises(kind, match=message) as caught:
        build()
    assert isinstance(caught.value, InvalidSettingError)
