"""The manager and its HDF5 log: every call_id exactly once, through resumes and rollbacks."""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import InvalidSettingError, LogKeyMismatchError
from glompo_scope_chkpt.log.writer import read_log
from tests.helpers.tasks import SleepySphere


def _call_ids(path) -> np.ndarray:
    log = read_log(path)
    return np.sort(np.concatenate([opt["call_id"] for opt in log["optimizers"].values()]))


@pytest.mark.parametrize("executor", ["serial", "threads"])
def test_log_holds_every_call_once_after_resuming_an_older_checkpoint(make_manager, executor):
    manager = make_manager(
        executor=executor, summary_files=3, control={"checkpoint_iter_frequency": 200}
    )
    manager.start_manager()
    log_path = manager.settings.working_dir / "glompo_log.h5"
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, 601))
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", convergence_checker=MaxFuncCalls(700)
    )
    with pytest.warns(UserWarning, match="moved to"):
        resumed.start_manager()
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, 701))
    rollback = list(log_path.parent.glob("glompo_log.rollback-chk_000*.h5"))
    assert len(rollback) == 1
    np.testing.assert_array_equal(_call_ids(rollback[0]), np.arange(201, 601))
    fx = np.concatenate([o["fx"] for o in read_log(log_path)["optimizers"].values()])
    assert fx.min() == pytest.approx(resumed.state.best_fx)


def test_missing_log_on_resume_warns_and_starts_a_new_one(make_manager):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    log_path = manager.settings.working_dir / "glompo_log.h5"
    first = read_log(log_path)["optimizers"]
    log_path.unlink()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    )
    with pytest.warns(UserWarning, match="glompo_log.h5"):
        resumed.start_manager()
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(301, 601))
    for opt_id, group in read_log(log_path)["optimizers"].items():
        assert group["attrs"]["type"] == first[opt_id]["attrs"]["type"]
        assert group["attrs"]["metadata"] == first[opt_id]["attrs"]["metadata"] != {}


def test_summary_files_levels(make_manager):
    manager = make_manager(summary_files=2, control={"checkpoint_iter_frequency": 300})
    result = manager.start_manager()
    folder = manager.settings.working_dir
    assert (folder / "trajectories.png").exists() and (folder / "trajectories_best.png").exists()
    assert not (folder / "glompo_log.h5").exists()
    summary = yaml.safe_load((folder / "glompo_manager_log.yml").read_text())
    assert summary["result"]["fx"] == pytest.approx(result.fx)
    assert summary["stats"]["f_counter"] == 600
    assert len(summary["checkpoints"]) == 1


def _open_handles(path) -> list[str]:
    """Descriptors of this process open on ``path`` (Linux /proc)."""
    fds = Path("/proc/self/fd")
    return [fd.name for fd in fds.iterdir() if os.path.realpath(fd) == os.path.realpath(path)]


def test_loading_changes_no_file_and_keeps_no_handle_the_start_rolls_back(make_manager):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 200})
    manager.start_manager()
    work = manager.settings.working_dir
    log_path = work / "glompo_log.h5"
    folder = manager.settings.checkpoint_control.checkpointing_dir
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in work.rglob("*") if p.is_file()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = GloMPOManager.load_manager(folder / "chk_000.tar.gz")
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in work.rglob("*") if p.is_file()}
    assert after == before
    assert _open_handles(log_path) == []
    with pytest.warns(UserWarning, match="moved to"):
        resumed.start_manager()
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, 601))
    assert _open_handles(log_path) == []


def test_a_foreign_log_is_refused_at_load_before_anything_changes(make_manager, tmp_path):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    other = make_manager(summary_files=3, working_dir=tmp_path / "other", control=None)
    other.start_manager()
    log_path = manager.settings.working_dir / "glompo_log.h5"
    shutil.copyfile(tmp_path / "other" / "glompo_log.h5", log_path)
    before = log_path.read_bytes()
    with pytest.raises(LogKeyMismatchError, match=r"glompo_log\.h5"):
        GloMPOManager.load_manager(
            manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
        )
    assert log_path.read_bytes() == before


def test_a_foreign_log_at_start_is_an_error_that_runs_and_changes_nothing(make_manager, tmp_path):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    )
    other = make_manager(summary_files=3, working_dir=tmp_path / "other", control=None)
    other.start_manager()
    log_path = manager.settings.working_dir / "glompo_log.h5"
    shutil.copyfile(tmp_path / "other" / "glompo_log.h5", log_path)
    before = log_path.read_bytes()
    sessions = len(resumed.state.sessions)
    with pytest.raises(LogKeyMismatchError, match=r"glompo_log\.h5"):
        resumed.start_manager()
    assert log_path.read_bytes() == before
    assert len(resumed.state.sessions) == sessions and resumed.state.f_counter == 300


def test_overwrite_existing_also_removes_the_earlier_runs_rollback_files(make_manager, tmp_path):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 200})
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", convergence_checker=MaxFuncCalls(200)
    )
    with pytest.warns(UserWarning, match="moved to"):
        resumed.start_manager()
    work = manager.settings.working_dir
    (rollback,) = work.glob("glompo_log.rollback-*.h5")
    with pytest.raises(InvalidSettingError, match=re.escape(rollback.name)):
        make_manager(summary_files=3, control=None)
    assert rollback.exists()
    make_manager(summary_files=3, control=None, overwrite_existing=True)
    assert list(work.glob("glompo_log.rollback-*.h5")) == []


def test_process_workers_still_evaluating_do_not_lock_the_log_against_a_resume(make_manager):
    manager = make_manager(
        task=SleepySphere(0.25),
        executor="processes",
        max_jobs=2,
        summary_files=3,
        convergence_checker=MaxFuncCalls(12),
        control={"checkpoint_iter_frequency": 6},
    )
    manager.start_manager()  # ends while the workers still evaluate the next points
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", convergence_checker=MaxFuncCalls(14)
    )
    with pytest.warns(UserWarning, match="moved to"):
        assert resumed.start_manager().stats["f_counter"] == 14
    log_path = manager.settings.working_dir / "glompo_log.h5"
    np.testing.assert_array_equal(_call_ids(log_path), np.arange(1, 15))
