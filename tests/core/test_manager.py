"""The manager: running, checkpoint triggers, task persistence, resume, overrides, determinism."""

from __future__ import annotations

import os
import signal
import tarfile
import threading
import warnings
from pathlib import Path

import dill
import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls, MaxSeconds, TargetCost
from glompo_scope_chkpt.errors import CheckpointError, InvalidSettingError, TaskNotAvailableError
from tests.helpers.tasks import (
    ConcurrencyProbe,
    FailsAt,
    PicklableSavableTask,
    SavableTask,
    UnpicklableTask,
    load_savable,
    rastrigin,
    slow_sphere,
    sphere,
)


def _names(manager: GloMPOManager) -> list[str]:
    folder = manager.settings.checkpoint_control.checkpointing_dir
    return sorted(p.name for p in folder.glob("*.tar.gz")) if folder.exists() else []


def _saved_state(path: Path):
    with tarfile.open(path, "r:gz") as tar:
        return dill.loads(tar.extractfile("manager.pkl").read())["state"]


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_runs_to_the_budget_on_every_executor(make_manager, executor):
    manager = make_manager(
        executor=executor, max_jobs=2, control={"checkpoint_iter_frequency": 250}
    )
    result = manager.start_manager()
    assert result.stats["f_counter"] == 600
    assert result.fx == pytest.approx(rastrigin(result.x))
    assert result.origin["opt_id"] in manager.state.optimizers
    assert "function evaluation budget reached" in result.stats["end_reason"]
    assert _names(manager) == ["chk_000.tar.gz", "chk_001.tar.gz"]
    resumed = GloMPOManager.load_manager(manager.settings.checkpoint_control.checkpointing_dir)
    assert resumed.state.f_counter == 500
    assert resumed.start_manager().stats["f_counter"] == 600


def test_serial_resume_from_any_checkpoint_gives_the_uninterrupted_result(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 100})
    reference = manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    names = _names(manager)
    assert len(names) == 5
    for name in names:
        resumed = GloMPOManager.load_manager(folder / name, working_dir=folder.parent / name)
        result = resumed.start_manager()
        assert result.fx == reference.fx
        np.testing.assert_array_equal(result.x, reference.x)
        assert result.origin == reference.origin
        for opt_id, trace in manager.state.history.traces.items():
            np.testing.assert_array_equal(resumed.state.history.traces[opt_id].fx, trace.fx)


def test_hunter_kills_and_new_optimizers_start(make_manager):
    result = make_manager().start_manager()
    assert result.stats["optimizers_killed"] >= 1
    assert result.stats["optimizers_started"] > 3


def test_no_extra_checkpoint_at_the_budget_and_no_refire_after_resume(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    assert _names(manager) == ["chk_000.tar.gz"]
    assert (
        _saved_state(
            manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
        ).f_counter
        == 300
    )
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz",
        convergence_checker=MaxFuncCalls(700),
    )
    resumed.start_manager()
    counters = [c.f_counter for c in resumed.state.checkpoints]
    assert counters == [300, 600]


def test_checkpoint_at_init_and_at_conv(make_manager):
    manager = make_manager(control={"checkpoint_at_init": True, "checkpoint_at_conv": True})
    manager.start_manager()
    assert [c.f_counter for c in manager.state.checkpoints] == [0, 600]


def test_time_frequency_checkpoints(make_manager):
    manager = make_manager(
        task=slow_sphere,
        convergence_checker=MaxSeconds(1.2),
        control={"checkpoint_time_frequency": 0.4},
    )
    manager.start_manager()
    assert 2 <= len(manager.state.checkpoints) <= 3


def test_chkpt_file_without_control_checkpoints_into_working_dir(make_manager):
    manager = make_manager(control=None, task=slow_sphere, convergence_checker=MaxFuncCalls(300))
    chkpt = manager.settings.working_dir / "CHKPT"
    chkpt.write_text("")
    manager.start_manager()
    folder = manager.settings.working_dir / "checkpoints"
    assert len(list(folder.glob("glompo_checkpoint_*.tar.gz"))) == 1
    assert not chkpt.exists()


def test_stop_file_stops_that_optimizer(make_manager):
    manager = make_manager(task=slow_sphere, convergence_checker=MaxFuncCalls(200), hunter=None)
    stop = manager.settings.working_dir / "STOP_1"
    stop.write_text("")
    manager.start_manager()
    record = manager.state.optimizers[1]
    assert record.status == "killed"
    assert "STOP_1" in record.end_reason
    assert not stop.exists()


def test_stop_file_for_an_unknown_optimizer_warns_and_stays(make_manager):
    manager = make_manager(task=slow_sphere, convergence_checker=MaxFuncCalls(100))
    stop = manager.settings.working_dir / "STOP_99"
    stop.write_text("")
    with pytest.warns(UserWarning, match="STOP_99 names no optimizer"):
        manager.start_manager()
    assert stop.exists()


@pytest.mark.parametrize("keep_past", [0, 2])
def test_keep_past_keeps_exactly_the_newest(make_manager, keep_past):
    manager = make_manager(control={"checkpoint_iter_frequency": 100, "keep_past": keep_past})
    folder = manager.settings.checkpoint_control.checkpointing_dir
    assert folder.is_dir()  # created, and checked writable, at setup
    (folder / "my_notes.tar.gz").write_bytes(b"unrelated")
    manager.start_manager()
    kept = [f"chk_{i:03d}.tar.gz" for i in range(5)][-(keep_past + 1) :]
    assert _names(manager) == sorted([*kept, "my_notes.tar.gz"])
    assert (folder / "my_notes.tar.gz").read_bytes() == b"unrelated"


def test_unpicklable_task_without_checkpoint_save_warns_and_needs_a_task(make_manager):
    manager = make_manager(task=UnpicklableTask(), control={"checkpoint_iter_frequency": 300})
    with pytest.warns(UserWarning, match="without the task"):
        manager.start_manager()
    path = manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    with pytest.raises(TaskNotAvailableError, match=r"holds no usable task; pass task="):
        GloMPOManager.load_manager(path)
    resumed = GloMPOManager.load_manager(path, task=UnpicklableTask(1.0))
    assert resumed.task.offset == 1.0


def test_unpicklable_task_is_saved_with_checkpoint_save_and_loaded_with_task_loader(make_manager):
    task = SavableTask(2.5)
    manager = make_manager(task=task, control={"checkpoint_iter_frequency": 300})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        manager.start_manager()
    assert len(task.saved_to) == 1
    path = manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    with pytest.raises(TaskNotAvailableError, match="pass task_loader"):
        GloMPOManager.load_manager(path)
    resumed = GloMPOManager.load_manager(path, task_loader=load_savable)
    assert isinstance(resumed.task, SavableTask) and resumed.task.offset == 2.5
    assert resumed.start_manager().stats["f_counter"] == 600


def test_force_task_save_skips_pickling(make_manager):
    task = PicklableSavableTask(1.5)
    manager = make_manager(
        task=task, control={"checkpoint_iter_frequency": 300, "force_task_save": True}
    )
    manager.start_manager()
    assert task.save_calls == 1
    path = manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    with tarfile.open(path) as tar:
        assert "task.pkl" not in tar.getnames()
        assert "task/offset.txt" in tar.getnames()


def _break_checkpointing_dir(manager: GloMPOManager) -> None:
    folder = manager.settings.checkpoint_control.checkpointing_dir
    folder.rmdir()  # removed after setup, e.g. by a clean-up job
    folder.write_text("a file where the folder should be")


def test_failed_checkpoint_warns_and_continues(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 200})
    _break_checkpointing_dir(manager)
    with pytest.warns(UserWarning, match="Checkpoint failed, the optimization continues"):
        result = manager.start_manager()
    assert result.stats["f_counter"] == 600
    assert manager.state.checkpoints == []


def test_failed_checkpoint_raises_when_asked(make_manager):
    manager = make_manager(
        control={"checkpoint_iter_frequency": 200, "raise_checkpoint_fail": True}
    )
    _break_checkpointing_dir(manager)
    with pytest.raises(CheckpointError, match="cannot be created"):
        manager.start_manager()
    assert manager.state.f_counter == 200
    assert "crashed" in manager.state.end_reason


def test_pending_evaluations_are_resubmitted_and_checkpoint_does_not_wait(make_manager):
    import time

    manager = make_manager(
        task=slow_sphere,
        executor="threads",
        max_jobs=4,
        control={"checkpoint_iter_frequency": 100},
        convergence_checker=MaxFuncCalls(200),
    )
    manager.start_manager()
    path = manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    state = _saved_state(path)
    assert 1 <= len(state.pending) <= 5  # max_jobs running and one queued in the pool
    resumed = GloMPOManager.load_manager(path)
    start = time.perf_counter()
    resumed.start_manager()
    assert resumed.state.f_counter == 200
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("own_pool", [True, False])
def test_no_more_than_max_jobs_evaluations_run_at_once(make_manager, own_pool):
    import concurrent.futures as cf

    probe = ConcurrencyProbe()
    pool = None if own_pool else cf.ThreadPoolExecutor(max_workers=6)
    try:
        manager = make_manager(
            task=probe,
            executor="threads" if own_pool else pool,
            max_jobs=2,
            max_optimizers=4,
            convergence_checker=MaxFuncCalls(150),
        )
        manager.start_manager()
    finally:
        if pool is not None:
            pool.shutdown()
    assert manager.state.f_counter == 150
    assert probe.most == 2


def test_overrides_replace_saved_settings(make_manager, tmp_path):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    path = manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    resumed = GloMPOManager.load_manager(
        path,
        convergence_checker=MaxFuncCalls(900) | TargetCost(-1),
        executor="threads",
        max_jobs=2,
        working_dir=tmp_path / "elsewhere",
    )
    assert resumed.settings.executor == "threads" and resumed.settings.max_jobs == 2
    result = resumed.start_manager()
    assert result.stats["f_counter"] == 900
    assert resumed.settings.working_dir == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"bounds": [(-5.12, 5.12)] * 3}, "bounds cannot change"),
        ({"bounds": [(-1, 1)] * 4}, "bounds cannot change"),
        ({"seed": 8}, "seed cannot change"),
        ({"colour": "red"}, r"Unknown setting\(s\) \['colour'\]"),
        ({"executor": "gpu"}, "executor must be one of"),
        ({"max_jobs": 0}, "max_jobs needs an integer >= 1"),
    ],
)
def test_overrides_that_cannot_apply_are_refused(make_manager, override, message):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    with pytest.raises(InvalidSettingError, match=message):
        GloMPOManager.load_manager(
            manager.settings.checkpoint_control.checkpointing_dir, **override
        )


def test_loading_a_folder_skips_a_damaged_newest_checkpoint(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 200})
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    newest = folder / "chk_001.tar.gz"
    newest.write_bytes(newest.read_bytes()[:100])
    (folder / "chk_002.tar.gz.tmp-leftover").write_bytes(b"torn")
    with pytest.warns(UserWarning, match="chk_001.tar.gz is damaged"):
        resumed = GloMPOManager.load_manager(folder)
    assert resumed.state.f_counter == 200
    assert (folder / "chk_002.tar.gz.tmp-leftover").exists()


def test_crashing_evaluations_crash_only_their_optimizer(make_manager):
    manager = make_manager(task=FailsAt(4.0), bounds=[(-5, 5)] * 2, hunter=None)
    result = manager.start_manager()
    assert result.stats["f_counter"] == 600
    assert result.stats["optimizers_crashed"] >= 1
    crashed = [r for r in manager.state.optimizers.values() if r.status == "crashed"]
    assert "model diverged" in crashed[0].end_reason


def test_signal_checkpoints_and_stops_then_resumes(make_manager):
    manager = make_manager(task=slow_sphere, convergence_checker=MaxFuncCalls(5000), control={})
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    result = manager.start_manager()
    timer.join()
    assert result.interrupted
    assert "interrupted by SIGUSR1" in result.stats["end_reason"]
    assert 0 < result.stats["f_counter"] < 5000
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir,
        task=sphere,
        convergence_checker=MaxFuncCalls(result.stats["f_counter"] + 50),
    )
    assert resumed.state.f_counter == result.stats["f_counter"]
    assert not resumed.start_manager().interrupted


def test_manual_checkpoint_returns_its_path(make_manager):
    manager = make_manager(control={})
    path = manager.checkpoint()
    assert path.exists() and path.name == "chk_000.tar.gz"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bounds": [(1, 0)]}, r"bounds\[0\] = \(1, 0\): min must be smaller than max"),
        ({"bounds": []}, "non-empty"),
        ({"task": 5}, "task must be callable"),
        ({"opt_selector": "cma"}, "opt_selector must be a BaseSelector"),
        ({"summary_files": 7}, "summary_files must be 0, 1"),
        ({"max_jobs": -1}, "max_jobs needs an integer >= 1"),
        ({"visualisation_args": {"colour": 1}}, "colour"),
    ],
)
def test_bad_setup_arguments_are_refused(make_manager, kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        make_manager(**kwargs)


def test_existing_outputs_need_overwrite_existing(make_manager):
    manager = make_manager(summary_files=1)
    manager.start_manager()
    summary = manager.settings.working_dir / "glompo_manager_log.yml"
    before = summary.read_bytes()
    with pytest.raises(InvalidSettingError, match="overwrite_existing=True"):
        make_manager(summary_files=1)
    assert summary.read_bytes() == before
    make_manager(summary_files=1, overwrite_existing=True)
    assert not summary.exists()


def test_unwritable_working_dir_is_refused(make_manager, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(InvalidSettingError, match=r"working_dir .*a_file/run cannot be created"):
        make_manager(working_dir=blocker / "run")


def test_unwritable_checkpointing_dir_is_refused(make_manager, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(InvalidSettingError, match=r"checkpointing_dir .*a_file/chk cannot be"):
        make_manager(control={"checkpointing_dir": blocker / "chk"})
    assert blocker.read_text() == ""


def test_recording_without_ffmpeg_says_how_to_get_it(make_manager, monkeypatch):
    from glompo_scope_chkpt.errors import FFmpegNotFoundError

    monkeypatch.setenv("GLOMPO_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg"):
        make_manager(visualisation=True, visualisation_args={"record_movie": True})


def test_a_second_signal_during_the_checkpoint_changes_nothing(make_manager):
    manager = make_manager(task=slow_sphere, convergence_checker=MaxFuncCalls(10**6), control={})

    def two_signals() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(0.4, two_signals)
    timer.start()
    result = manager.start_manager()
    timer.join()
    assert result.interrupted and "SIGTERM" in result.stats["end_reason"]
    assert len(manager.state.checkpoints) == 1
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir,
        convergence_checker=MaxFuncCalls(result.stats["f_counter"] + 10),
    )
    assert resumed.start_manager().stats["f_counter"] == result.stats["f_counter"] + 10
