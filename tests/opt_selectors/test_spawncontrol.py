"""Spawn controls and ``allow_spawn``: when no more optimizers may start."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError
from glompo_scope_chkpt.opt_selectors import (
    ChainSelector,
    CycleSelector,
    IterSpawnStop,
    NOptimizersSpawnStop,
    RandomSelector,
)
from glompo_scope_chkpt.opt_selectors.spawncontrol import IterSpawnStop as ByModule
from glompo_scope_chkpt.optimizers import RandomOptimizer
from tests.helpers.views import make_view


def test_iter_spawn_stop_allows_starts_below_max_calls_only():
    control = IterSpawnStop(500)
    assert [control(make_view(f_counter=f)) for f in (0, 499, 500, 900)] == [
        True,
        True,
        False,
        False,
    ]
    assert ByModule is IterSpawnStop and repr(control) == "IterSpawnStop(500)"


def test_n_optimizers_spawn_stop_allows_starts_below_max_opts_only():
    control = NOptimizersSpawnStop(3)
    assert [control(make_view(o_counter=n)) for n in (0, 2, 3, 4)] == [True, True, False, False]
    assert repr(control) == "NOptimizersSpawnStop(3)"


@pytest.mark.parametrize("cls", [IterSpawnStop, NOptimizersSpawnStop])
@pytest.mark.parametrize(
    ("value", "error"),
    [(0, InvalidSettingError), (10.5, InvalidSettingTypeError), ("10", InvalidSettingTypeError)],
)
def test_controls_refuse_bad_limits(cls, value, error):
    with pytest.raises(error):
        cls(value)


@pytest.mark.parametrize(
    "make",
    [
        lambda control: CycleSelector(RandomOptimizer, allow_spawn=control),
        lambda control: RandomSelector(RandomOptimizer, allow_spawn=[control]),
        lambda control: ChainSelector(RandomOptimizer, fcall_thresholds=[], allow_spawn=control),
    ],
    ids=["cycle", "random-list", "chain"],
)
def test_every_selector_asks_its_controls_before_choosing(make):
    selector = make(IterSpawnStop(100))
    assert selector.select(make_view(f_counter=99)) == (RandomOptimizer, {})
    assert selector.select(make_view(f_counter=100)) is None
    assert selector.stop_reason == "IterSpawnStop(100) allows no more optimizers to start"


def test_all_controls_must_allow_and_a_refusal_draws_nothing():
    selector = RandomSelector(
        RandomOptimizer, allow_spawn=[IterSpawnStop(100), NOptimizersSpawnStop(2)]
    )
    view = make_view(f_counter=10, o_counter=2, rng=3)
    assert selector.select(view) is None
    assert "NOptimizersSpawnStop(2)" in selector.stop_reason
    assert view.rng.integers(10**9) == make_view(rng=3).rng.integers(10**9)


def test_any_callable_reading_glompos_manager_attributes_is_a_control():
    selector = CycleSelector(RandomOptimizer, allow_spawn=lambda mng: mng.o_counter < 1)
    assert selector.select(make_view(o_counter=0)) is not None
    assert selector.select(make_view(o_counter=1)) is None


@pytest.mark.parametrize("allow_spawn", [5, "IterSpawnStop", [IterSpawnStop(5), None]])
def test_controls_that_are_not_callables_are_type_errors(allow_spawn):
    with pytest.raises(InvalidSettingTypeError, match="allow_spawn must be a callable"):
        CycleSelector(RandomOptimizer, allow_spawn=allow_spawn)


def test_repr_names_the_controls():
    selector = CycleSelector(RandomOptimizer, allow_spawn=IterSpawnStop(7))
    assert repr(selector) == "CycleSelector((RandomOptimizer, {}), allow_spawn=[IterSpawnStop(7)])"
