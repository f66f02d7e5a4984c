"""Status lines every ``status_frequency`` seconds, and records reaching GloMPO's logger names."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from glompo_scope_chkpt.convergence import MaxFuncCalls
from tests.helpers.tasks import slow_sphere


class Collect(logging.Handler):
    """Keeps every record it handles."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, start: str = "") -> list[str]:
        return [r.getMessage() for r in self.records if r.getMessage().startswith(start)]


@pytest.fixture
def attach() -> Iterator:
    """``attach(name, handler, level)`` configures a logger as a user would; undone after."""
    undo = []

    def configure(name: str, handler: logging.Handler, level: int = logging.INFO) -> None:
        logger = logging.getLogger(name)
        undo.append((logger, handler, logger.level))
        logger.addHandler(handler)
        logger.setLevel(level)

    yield configure
    for logger, handler, level in reversed(undo):
        logger.removeHandler(handler)
        logger.setLevel(level)


def run(make_manager, **kwargs) -> float:
    manager = make_manager(task=slow_sphere, convergence_checker=MaxFuncCalls(200), **kwargs)
    return manager.start_manager().stats["elapsed_seconds"]


def test_status_lines_come_every_status_frequency_seconds(make_manager, attach):
    collect = Collect()
    attach("glompo_scope_chkpt", collect)
    elapsed = run(make_manager, status_frequency=0.1)
    lines = collect.lines("Status: ")
    assert 2 <= len(lines) <= elapsed / 0.1 + 1
    assert "evaluations" in lines[-1] and "optimizers running" in lines[-1]
    assert "best fx" in lines[-1] and "elapsed" in lines[-1]
    assert {r.levelno for r in collect.records if r.getMessage().startswith("Status")} == {20}


def test_no_status_line_before_status_frequency_seconds(make_manager, attach):
    collect = Collect()
    attach("glompo_scope_chkpt", collect)
    run(make_manager)  # GloMPO's default: every 600 s
    assert collect.lines("Status: ") == []


def test_a_glompo_script_configuring_glompo_manager_sees_the_manager(make_manager, attach):
    collect = Collect()
    attach("glompo.manager", collect)
    run(make_manager, status_frequency=0.1, control={"checkpoint_iter_frequency": 100})
    assert collect.lines("Status: ")
    assert collect.lines("Checkpoint (evaluation frequency) at f_counter=100")
    assert {r.name for r in collect.records} == {"glompo.manager"}
    assert all(r.pathname.endswith(".py") and r.lineno > 0 for r in collect.records)


def test_configuring_both_names_gives_each_handler_each_line_once(make_manager, attach):
    ours, glompo, shared = Collect(), Collect(), Collect()
    attach("glompo_scope_chkpt", ours)
    attach("glompo", glompo)
    attach("glompo_scope_chkpt", shared)
    attach("glompo.manager", shared)
    run(make_manager, status_frequency=0.1)
    assert ours.lines() == glompo.lines() == shared.lines()
    assert len(shared.lines("Status: ")) >= 2
    assert {r.name.split(".")[0] for r in glompo.records} == {"glompo"}


def test_a_root_handler_gets_each_line_once(make_manager, attach, caplog):
    caplog.set_level(logging.INFO)  # root handler and level, as logging.basicConfig would
    attach("glompo", Collect())
    run(make_manager, status_frequency=0.1)
    status = [r for r in caplog.records if r.getMessage().startswith("Status: ")]
    assert status and {r.name for r in status} == {"glompo_scope_chkpt.engine.loop"}
