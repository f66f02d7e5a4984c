"""GloMPO's specs: ``(class, init_kwargs, call_kwargs)``, ``None`` kwargs, ``workers``."""

from __future__ import annotations

import warnings

import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, InvalidSettingTypeError
from glompo_scope_chkpt.opt_selectors import CycleSelector, RandomSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.views import make_view


def first(selector):
    return selector.select(make_view())


def test_call_kwargs_join_the_init_kwargs():
    selector = CycleSelector((CMAOptimizer, {"popsize": 12}, {"sigma0": 0.5}))
    assert first(selector) == (CMAOptimizer, {"popsize": 12, "sigma0": 0.5})


@pytest.mark.parametrize(
    "spec",
    [
        (RandomOptimizer, None),
        (RandomOptimizer, None, None),
        (RandomOptimizer, {}, None),
        (RandomOptimizer, None, {}),
    ],
)
def test_none_stands_for_no_kwargs(spec):
    assert first(CycleSelector(spec)) == (RandomOptimizer, {})


@pytest.mark.parametrize("where", ["init", "call"])
def test_sigma0_reaches_cma_from_either_dict(where):
    init, call = ({"sigma0": 0.3}, None) if where == "init" else (None, {"sigma0": 0.3})
    cls, kwargs = first(CycleSelector((CMAOptimizer, init, call)))
    assert cls([(-1.0, 1.0)] * 3, [0.0] * 3, seed=1, **kwargs).sigma0 == 0.3


def test_workers_is_accepted_with_one_warning_that_says_why():
    with pytest.warns(UserWarning) as caught:
        selector = RandomSelector(
            (CMAOptimizer, {"workers": 1, "popsize": 6}, {"sigma0": 1.0}),
            (RandomOptimizer, {"workers": 4}, None),
        )
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "CMAOptimizer, RandomOptimizer" in message
    assert "ask/tell" in message and "max_jobs" in message
    assert all("workers" not in kwargs for _, kwargs in selector.specs)


def test_no_warning_without_workers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CycleSelector((CMAOptimizer, {"popsize": 6}, {"sigma0": 1.0}))


def test_a_keyword_given_in_both_dicts_is_refused():
    with pytest.raises(InvalidSettingError, match=r"\['sigma0'\] given in both"):
        CycleSelector((CMAOptimizer, {"sigma0": 1.0}, {"sigma0": 2.0}))


def test_a_keyword_the_class_does_not_take_is_refused_with_the_ones_it_takes():
    with pytest.raises(InvalidSettingError, match=r"CMAOptimizer takes no \['sigma'\]") as caught:
        CycleSelector((CMAOptimizer, None, {"sigma": 1.0}))
    assert "'sigma0'" in str(caught.value) and "'popsize'" in str(caught.value)


@pytest.mark.parametrize(
    "spec",
    [
        (RandomOptimizer, [("max_evals", 5)]),
        (RandomOptimizer, None, "sigma0=1"),
        ({"max_evals": 5}, RandomOptimizer),
        "CMAOptimizer",
        CMAOptimizer([(0, 1)], [0.5]),
    ],
    ids=["pairs-not-dict", "string-call-kwargs", "swapped", "name", "instance"],
)
def test_wrong_types_raise_errors_that_are_type_errors(spec):
    with pytest.raises(InvalidSettingTypeError) as caught:
        CycleSelector(spec)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, InvalidSettingError)


def test_membership_is_by_optimizer_class():
    selector = CycleSelector(CMAOptimizer, (RandomOptimizer, None, None))
    assert CMAOptimizer in selector and RandomOptimizer in selector
    assert object not in RandomSelector(CMAOptimizer)
