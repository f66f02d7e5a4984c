"""``CycleSelector``: the given optimizers start in turn, each with its own keyword arguments."""

from __future__ import annotations

from types import MappingProxyType

from glompo_scope_chkpt import selectors
from glompo_scope_chkpt.opt_selectors import BaseSelector, CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.views import make_view


def pick(selector: CycleSelector, n_started: int):
    """The selector's choice once ``n_started`` optimizers have started."""
    return selector.select(make_view(o_counter=n_started))


def test_optimizers_start_in_the_given_order_then_again_from_the_first():
    selector = CycleSelector(
        (RandomOptimizer, {"max_evals": 10}), CMAOptimizer, (RandomOptimizer, {"max_evals": 20})
    )
    picked = [pick(selector, n) for n in range(7)]
    assert picked == [
        (RandomOptimizer, {"max_evals": 10}),
        (CMAOptimizer, {}),
        (RandomOptimizer, {"max_evals": 20}),
    ] * 2 + [(RandomOptimizer, {"max_evals": 10})]


def test_a_single_optimizer_is_started_every_time():
    selector = CycleSelector(CMAOptimizer)
    assert {pick(selector, n)[0] for n in (0, 1, 5, 1000)} == {CMAOptimizer}


def test_changing_the_given_or_the_returned_kwargs_changes_no_later_start():
    given = {"popsize": 6, "cma_options": {"tolfun": 1e-8}}
    selector = CycleSelector((CMAOptimizer, given))
    given["popsize"] = 99
    pick(selector, 0)[1]["popsize"] = 50
    assert pick(selector, 1) == (CMAOptimizer, {"popsize": 6, "cma_options": {"tolfun": 1e-8}})


def test_any_mapping_gives_the_kwargs():
    selector = CycleSelector((RandomOptimizer, MappingProxyType({"max_evals": 3})))
    assert pick(selector, 0) == (RandomOptimizer, {"max_evals": 3})


def test_repr_and_first_name():
    selector = CycleSelector(CMAOptimizer, (RandomOptimizer, {"max_evals": 5}))
    assert isinstance(selector, BaseSelector)
    expected = "CycleSelector((CMAOptimizer, {}), (RandomOptimizer, {'max_evals': 5}))"
    assert repr(selector) == expected
    assert selectors.CycleSelector is CycleSelector
