"""The index of replayable rows: bit-for-bit points, one answer per logged row, freed when spent."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.core.state import SessionRecord
from glompo_scope_chkpt.engine.replay import Replay, is_deterministic, read_index
from glompo_scope_chkpt.errors import InvalidSettingTypeError
from glompo_scope_chkpt.log.writer import OptimizationLog

KEY = "run-key"


def _rollback_file(folder: Path, name: str, rows: list[tuple[int, list[float], float]]) -> Path:
    """Write a rollback file of run ``KEY`` holding ``rows`` (call_id, x, fx) of optimizer 1."""
    path = folder / f"glompo_log.rollback-{name}.h5"
    with OptimizationLog.create(path, KEY, 2, {}) as log:
        log.add_optimizer(1, "RandomOptimizer", 0, {})
        for call_id, x, fx in rows:
            log.put_iteration(1, call_id, np.array(x), fx)
    with h5py.File(path, "r+") as f:
        f.attrs["kind"] = "rollback"
    return path


def _replay(index: dict) -> Replay:
    return Replay(index, 0.5, SessionRecord(2, 0.0, 10, "chk"))


def test_each_logged_row_answers_one_request_and_the_index_is_freed_when_spent(
    tmp_path: Path,
) -> None:
    rows = [(11, [0.1, 0.2], 1.0), (12, [0.3, 0.4], 2.0), (13, [0.1, 0.2], 1.0)]
    _rollback_file(tmp_path, "chk", rows)
    replay = _replay(read_index(tmp_path, KEY, 2))
    assert replay.answer(np.array([0.3, 0.4])).result() == 2.0
    assert replay.answer(np.array([0.3, 0.4])) is None  # served once only
    assert replay.answer(np.array([0.1, 0.2])).row.call_id == 11
    assert not replay.exhausted
    assert replay.answer(np.array([0.1, 0.2])).row.call_id == 13  # logged twice: answers twice
    assert replay.exhausted


def test_only_a_bit_for_bit_equal_point_is_answered(tmp_path: Path) -> None:
    _rollback_file(tmp_path, "chk", [(11, [0.1, 0.2], 1.0)])
    replay = _replay(read_index(tmp_path, KEY, 2))
    assert replay.answer(np.array([0.1, np.nextafter(0.2, 1.0)])) is None
    assert replay.answer(np.array([0.1, 0.2])) is not None


def test_failed_rows_other_runs_and_older_copies_are_not_indexed(tmp_path: Path) -> None:
    _rollback_file(tmp_path, "b", [(11, [0.1, 0.2], 1.0), (12, [0.5, 0.5], math.nan)])
    older = _rollback_file(tmp_path, "a", [(11, [0.1, 0.2], 1.0), (12, [0.7, 0.7], 3.0)])
    with h5py.File(older, "r+") as f:
        f.attrs["created"] = "2000-01-01T00:00:00+00:00"
    foreign = _rollback_file(tmp_path, "c", [(11, [0.9, 0.9], 4.0)])
    with h5py.File(foreign, "r+") as f:
        f.attrs["key"] = "another-run"
    index = read_index(tmp_path, KEY, 2)
    assert sorted((r.call_id, r.fx, r.source) for rows in index.values() for r in rows) == [
        (11, 1.0, "glompo_log.rollback-b.h5"),  # not again from the older copy a
        (12, 3.0, "glompo_log.rollback-a.h5"),
    ]
    assert read_index(tmp_path, KEY, 3) == {}  # points of another length


def test_a_task_declares_itself_non_deterministic_with_a_bool() -> None:
    class Task:
        deterministic = False

    assert is_deterministic(print) and not is_deterministic(Task())
    Task.deterministic = "no"  # type: ignore[assignment]
    with pytest.raises(InvalidSettingTypeError, match="deterministic"):
        is_deterministic(Task())
