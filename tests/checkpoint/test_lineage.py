"""A checkpoint on an abandoned stretch of the timeline never wins, and keep_past follows the run.

Resuming from an earlier checkpoint supersedes what came after it: the later checkpoints stay
on disk, but loading the folder resumes the branch that was continued, not the abandoned one,
and ``keep_past`` deletes along the run's timeline, never by file times.
"""

from __future__ import annotations

import os
import shutil

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.checkpoint.locate import checkpoint_candidates
from glompo_scope_chkpt.convergence import MaxFuncCalls


def test_a_folder_resumes_the_branch_continued_not_the_abandoned_one(make_manager, tmp_path):
    manager = make_manager(control={"checkpoint_iter_frequency": 100})
    manager.start_manager()  # chk_000..chk_004 at 100..500
    folder = manager.settings.checkpoint_control.checkpointing_dir
    branch = GloMPOManager.load_manager(
        folder / "chk_001.tar.gz", convergence_checker=MaxFuncCalls(350)
    )
    branch.start_manager()  # resumed at 200: chk_005 at 300
    assert read_meta(folder / "chk_005.tar.gz")["f_counter"] == 300
    assert read_meta(folder / "chk_004.tar.gz")["f_counter"] == 500  # kept, superseded
    copied = tmp_path / "copied"
    shutil.copytree(folder.parent, copied)  # new file times
    for folder_now in (folder, copied / "checkpoints"):
        newest = checkpoint_candidates(folder_now)[0]
        assert newest.name == "chk_005.tar.gz"
        resumed = GloMPOManager.load_manager(folder_now, convergence_checker=MaxFuncCalls(400))
        assert resumed.state.f_counter == 300
    listed = [p.name for p in checkpoint_candidates(folder)]
    assert listed[:3] == ["chk_005.tar.gz", "chk_001.tar.gz", "chk_000.tar.gz"]
    assert set(listed[3:]) == {"chk_002.tar.gz", "chk_003.tar.gz", "chk_004.tar.gz"}


def test_keep_past_deletes_along_the_timeline_not_by_file_time(make_manager):
    manager = make_manager(
        convergence_checker=MaxFuncCalls(400),
        control={"checkpoint_iter_frequency": 100, "keep_past": -1},
    )
    manager.start_manager()  # chk_000..chk_002 at 100..300
    folder = manager.settings.checkpoint_control.checkpointing_dir
    for age, name in enumerate(["chk_002", "chk_001", "chk_000"]):
        stamp = 1_000_000 + age  # the furthest along now looks the oldest
        os.utime(folder / f"{name}.tar.gz", (stamp, stamp))
    resumed = GloMPOManager.load_manager(
        folder,
        convergence_checker=MaxFuncCalls(500),
        checkpoint_control=_with_keep_past(manager, 2),
    )
    resumed.start_manager()  # chk_003 at 400; keep the two before it along the run
    left = sorted(p.name for p in folder.glob("*.tar.gz"))
    assert left == ["chk_001.tar.gz", "chk_002.tar.gz", "chk_003.tar.gz"]


def _with_keep_past(manager: GloMPOManager, keep: int):
    from glompo_scope_chkpt import CheckpointingControl

    control = manager.settings.checkpoint_control
    return CheckpointingControl(
        checkpoint_iter_frequency=control.checkpoint_iter_frequency,
        checkpointing_dir=control.checkpointing_dir,
        naming_format=control.naming_format,
        keep_past=keep,
    )
