"""GloMPO's keywords of ``setup``/``new_manager`` and ``load_manager``, and their type checks."""

from __future__ import annotations

import warnings

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.errors import (
    IgnoredSettingWarning,
    InvalidSettingError,
    InvalidSettingTypeError,
)
from glompo_scope_chkpt.generators import IncumbentGenerator, RandomGenerator
from glompo_scope_chkpt.hunters import BestUnmoving, StagnationHunter
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer


@pytest.mark.parametrize(
    ("backend", "executor"),
    [("threads", "threads"), ("processes", "processes"), ("processes_forced", "processes")],
)
def test_backend_chooses_the_executor(make_manager, backend, executor):
    manager = make_manager(executor=None, backend=backend)
    assert manager.settings.executor == executor


def test_killing_conditions_and_x0_generator_are_the_hunter_and_the_generator(make_manager):
    hunter, generator = BestUnmoving(50, 0.01), RandomGenerator([(-5.12, 5.12)] * 4)
    manager = make_manager(hunter=None, killing_conditions=hunter, x0_generator=generator)
    assert manager.settings.hunter is hunter and manager.settings.generator is generator
    assert manager.start_manager().stats["f_counter"] == 600


@pytest.mark.parametrize(
    "both",
    [
        {"backend": "threads", "executor": "serial"},
        {"killing_conditions": BestUnmoving(50, 0.01)},  # make_manager gives hunter=
        {"x0_generator": IncumbentGenerator(), "generator": RandomGenerator()},
    ],
)
def test_a_setting_given_under_both_names_is_a_type_error(make_manager, both):
    with pytest.raises(InvalidSettingTypeError, match="name the same setting") as caught:
        make_manager(**both)
    assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize(
    ("backend", "error"), [("gpu", InvalidSettingError), (3, InvalidSettingTypeError)]
)
def test_an_unknown_backend_is_refused(make_manager, backend, error):
    with pytest.raises(error, match="backend must be one of"):
        make_manager(executor=None, backend=backend)


def test_an_unknown_keyword_is_a_type_error_listing_both_names(make_manager):
    with pytest.raises(TypeError, match=r"Unknown keyword\(s\) \['colour'\].*killing_conditions"):
        make_manager(colour="red")


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("aggressive_kill", True),
        ("end_timeout", 10),
        ("force_terminations_after", 60),
        ("split_printstreams", True),
        ("is_log_detailed", True),
    ],
)
def test_a_threads_only_keyword_asking_for_something_warns_once_why(make_manager, keyword, value):
    with pytest.warns(IgnoredSettingWarning) as caught:
        manager = make_manager(**{keyword: value})
    ours = [w for w in caught if issubclass(w.category, IgnoredSettingWarning)]
    assert len(ours) == 1
    assert str(ours[0].message).startswith(f"{keyword}={value!r} has no effect: ")
    assert manager.start_manager().stats["f_counter"] == 600


@pytest.mark.parametrize("build", ["new_manager", "setup"])
def test_the_warning_names_the_line_that_set_up_the_manager(tmp_path, build):
    start = GloMPOManager.new_manager if build == "new_manager" else GloMPOManager().setup
    with pytest.warns(IgnoredSettingWarning) as caught:
        start(
            lambda x: 0.0,
            [(0, 1)],
            CycleSelector(RandomOptimizer),
            tmp_path,
            aggressive_kill=True,
        )
    assert [w.filename for w in caught] == [__file__]


def test_glompo_defaults_of_those_keywords_say_nothing(make_manager):
    defaults = {
        "aggressive_kill": False,
        "end_timeout": None,
        "force_terminations_after": -1,
        "split_printstreams": False,
        "is_log_detailed": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredSettingWarning)
        make_manager(**defaults)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"aggressive_kill": "yes"},
        {"split_printstreams": 1},
        {"is_log_detailed": None},
        {"end_timeout": "10"},
        {"force_terminations_after": [60]},
        {"max_jobs": "4"},
        {"max_jobs": 2.0},
        {"seed": "7"},
        {"summary_files": "3"},
        {"working_dir": 3},
        {"hunt_frequency": 1.5},
        {"status_frequency": "60"},
        {"share_best_solutions": "no"},
        {"convergence_checker": "MaxFuncCalls(10)"},
        {"hunter": "BestUnmoving"},
        {"task": "rastrigin"},
        {"opt_selector": RandomOptimizer},
    ],
)
def test_a_value_of_the_wrong_type_is_a_type_error(make_manager, kwargs):
    with pytest.raises(InvalidSettingTypeError) as caught:
        make_manager(**kwargs)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, InvalidSettingError)


@pytest.mark.parametrize("status_frequency", [0, -5])
def test_status_frequency_must_be_positive(make_manager, status_frequency):
    with pytest.raises(InvalidSettingError, match="status_frequency needs a number > 0"):
        make_manager(status_frequency=status_frequency)


def test_settings_after_working_dir_are_keyword_only(make_manager, tmp_path):
    # GloMPO's fifth parameter is overwrite_existing, ours would be max_jobs: refuse the guess
    with pytest.raises(TypeError):
        GloMPOManager.new_manager(
            lambda x: 0.0, [(0, 1)], CycleSelector(RandomOptimizer), tmp_path, True
        )


def test_share_best_solutions_without_any_optimizer_taking_points_warns(make_manager):
    with pytest.warns(IgnoredSettingWarning, match=r"no optimizer of the selector \(Random"):
        make_manager(
            opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 100})),
            share_best_solutions=True,
        )


def test_load_manager_takes_glompo_names_too(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    hunter = StagnationHunter(patience=30)
    with pytest.warns(IgnoredSettingWarning, match="split_printstreams"):
        resumed = GloMPOManager.load_manager(
            folder / "chk_000.tar.gz",
            backend="threads",
            killing_conditions=hunter,
            status_frequency=30,
            split_printstreams=True,
        )
    settings = resumed.settings
    assert (settings.executor, settings.hunter, settings.status_frequency) == (
        "threads",
        hunter,
        30,
    )
    with pytest.raises(InvalidSettingError, match="generator cannot change"):
        GloMPOManager.load_manager(folder / "chk_000.tar.gz", x0_generator=IncumbentGenerator())
    with pytest.raises(InvalidSettingTypeError, match="name the same setting"):
        GloMPOManager.load_manager(folder / "chk_000.tar.gz", backend="threads", executor="serial")
