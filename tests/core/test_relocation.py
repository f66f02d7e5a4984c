"""A run folder moved, copied or renamed resumes where it now is, and writes nowhere else."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import InvalidSettingError
from tests.helpers.media import assert_decodes_cleanly
from tests.helpers.paths import REPO_ROOT

VIS = {"record_movie": True, "events_per_flush": 20, "movie_kwargs": {"dpi": 30}}

_RESUME = textwrap.dedent(
    """
    import sys
    from glompo_scope_chkpt import GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls

    manager = GloMPOManager.load_manager(sys.argv[1], convergence_checker=MaxFuncCalls(500))
    result = manager.start_manager()
    print(result.stats["movie"])
    """
)


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder``: its content hash and modification time."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _call_ids(log: Path) -> np.ndarray:
    with h5py.File(log, "r") as f:
        ids = [f[name]["iter_history"]["call_id"] for name in f if name.startswith("optimizer_")]
    return np.sort(np.concatenate(ids))


def _resume_in_fresh_process(target: Path, cwd: Path) -> Path:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [sys.executable, "-c", _RESUME, str(target)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def interrupted_run(make_manager, tmp_path) -> Path:
    """A recorded run of 300 evaluations in ``tmp_path/run``, checkpointed at 150 and 300."""
    manager = make_manager(
        summary_files=3,
        visualisation=True,
        visualisation_args=VIS,
        convergence_checker=MaxFuncCalls(300),
        control={"checkpoint_iter_frequency": 150, "checkpoint_at_conv": True},
    )
    assert manager.start_manager().stats["f_counter"] == 300
    return tmp_path / "run"


def _assert_whole_run(folder: Path, movie: Path) -> None:
    assert movie == folder / "glomporecording.mp4"
    np.testing.assert_array_equal(_call_ids(folder / "glompo_log.h5"), np.arange(1, 501))
    manifest = json.loads((folder / "checkpoints" / "movie_manifest.json").read_text())
    timeline = [s for s in manifest["segments"] if s["status"] == "complete"]
    assert {s["session"] for s in timeline} == {1, 2}
    assert assert_decodes_cleanly(movie) == sum(s["frames"] for s in timeline)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["move", "rename"])
def test_a_moved_run_folder_resumes_where_it_now_is(interrupted_run, tmp_path, how):
    target = tmp_path / "elsewhere" / "deeper" / "run" if how == "move" else tmp_path / "renamed"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(interrupted_run, target)
    movie = _resume_in_fresh_process(target / "checkpoints", cwd=tmp_path)
    _assert_whole_run(target, movie)
    assert not interrupted_run.exists(), "the old location was written to"


@pytest.mark.slow
def test_a_copied_run_resumes_in_the_copy_and_leaves_the_original_untouched(
    interrupted_run, tmp_path
):
    copy = tmp_path / "copy"
    shutil.copytree(interrupted_run, copy)
    before = _snapshot(interrupted_run)
    movie = _resume_in_fresh_process(copy / "checkpoints", cwd=tmp_path)
    assert _snapshot(interrupted_run) == before
    _assert_whole_run(copy, movie)


@pytest.mark.slow
def test_a_working_dir_override_takes_the_checkpoints_along(interrupted_run, tmp_path):
    before = _snapshot(interrupted_run)
    branch = tmp_path / "branch"
    manager = GloMPOManager.load_manager(
        interrupted_run / "checkpoints" / "chk_000.tar.gz",
        working_dir=branch,
        convergence_checker=MaxFuncCalls(400),
    )
    assert manager.settings.checkpoint_control.checkpointing_dir == branch / "checkpoints"
    with pytest.warns(UserWarning, match="No log file"):
        result = manager.start_manager()
    assert _snapshot(interrupted_run) == before
    assert len(list((branch / "checkpoints").glob("*.tar.gz"))) == 2  # at 300 and at the end
    manifest = json.loads((branch / "checkpoints" / "movie_manifest.json").read_text())
    timeline = [s for s in manifest["segments"] if s["status"] == "complete"]
    assert {s["session"] for s in timeline} == {1, 2}
    assert assert_decodes_cleanly(result.stats["movie"]) == sum(s["frames"] for s in timeline)


def test_checkpoint_control_says_where_checkpoints_go_when_working_dir_is_overridden(
    make_manager, tmp_path
):
    make_manager(control={"checkpoint_iter_frequency": 300}).start_manager()
    elsewhere = CheckpointingControl(checkpointing_dir=tmp_path / "chk_b")
    manager = GloMPOManager.load_manager(
        tmp_path / "run" / "checkpoints", working_dir=tmp_path / "b", checkpoint_control=elsewhere
    )
    assert manager.settings.working_dir == tmp_path / "b"
    assert manager.settings.checkpoint_control.checkpointing_dir == tmp_path / "chk_b"


def test_moved_checkpoints_of_a_run_whose_working_dir_is_apart_need_a_working_dir(
    make_manager, tmp_path
):
    manager = make_manager(
        working_dir=tmp_path / "work",
        control={"checkpoint_iter_frequency": 300, "checkpointing_dir": tmp_path / "chk"},
    )
    manager.start_manager()
    shutil.move(tmp_path / "chk", tmp_path / "moved_chk")
    shutil.rmtree(tmp_path / "work")
    with pytest.raises(InvalidSettingError, match="Pass working_dir=") as err:
        GloMPOManager.load_manager(tmp_path / "moved_chk")
    assert str(tmp_path / "moved_chk") in str(err.value)
    assert not (tmp_path / "work").exists() and not (tmp_path / "chk").exists()
    resumed = GloMPOManager.load_manager(tmp_path / "moved_chk", working_dir=tmp_path / "w2")
    assert resumed.settings.checkpoint_control.checkpointing_dir == tmp_path / "moved_chk"
