"""Optimizer specs: a class, ``(class, init_kwargs)`` or ``(class, init_kwargs, call_kwargs)``,
refused at once when anything else."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import BaseOptimizer, CMAOptimizer, RandomOptimizer


def test_at_least_one_spec_is_needed():
    with pytest.raises(InvalidSettingError, match=r"CycleSelector needs at least one optimizer"):
        CycleSelector()


@pytest.mark.parametrize(
    "spec",
    [
        RandomOptimizer([(0, 1)], [0.5]),
        "CMAOptimizer",
        dict,
        BaseOptimizer.ask,
        (int, {}),
        None,
    ],
    ids=["instance", "name", "other-class", "function", "other-class-in-tuple", "none"],
)
def test_what_is_not_an_optimizer_class_is_refused(spec):
    with pytest.raises(InvalidSettingError, match=r"is not a subclass of .*BaseOptimizer"):
        CycleSelector(CMAOptimizer, spec)


@pytest.mark.parametrize("reserved", ["bounds", "x0", "seed"])
def test_kwargs_the_manager_sets_are_refused(reserved):
    with pytest.raises(InvalidSettingError, match=rf"may not set \['{reserved}'\]"):
        CycleSelector((RandomOptimizer, {"max_evals": 5, reserved: 1}))


def test_every_reserved_kwarg_is_named():
    with pytest.raises(InvalidSettingError, match=r"\['seed', 'x0'\]: the manager sets them"):
        CycleSelector((CMAOptimizer, {"x0": [0.0], "seed": 3}))


@pytest.mark.parametrize(
    "spec",
    [(RandomOptimizer,), (RandomOptimizer, {"max_evals": 5}, {}, {})],
    ids=["one-item", "four-items"],
)
def test_a_tuple_of_the_wrong_length_is_refused(spec):
    with pytest.raises(InvalidSettingError, match=r"is a class, \(class, init_kwargs\) or"):
        CycleSelector(spec)
