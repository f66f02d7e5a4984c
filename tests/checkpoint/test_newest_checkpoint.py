"""The newest checkpoint is the one furthest along, whatever the files' modification times say.

A run folder copied with ``cp -r`` or touched gets file times in an arbitrary order: resuming
and ``glompo-scope-chkpt inspect`` must still follow each checkpoint's own ``f_counter``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.checkpoint.locate import checkpoint_candidates
from glompo_scope_chkpt.cli.main import main


@pytest.fixture
def run_folder(make_manager) -> Path:
    """A finished run with checkpoints chk_000..chk_003 at 150, 300, 450 and 600 evaluations."""
    manager = make_manager(control={"checkpoint_iter_frequency": 150, "checkpoint_at_conv": True})
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    names = sorted(p.name for p in folder.glob("*.tar.gz"))
    assert names == [f"chk_00{i}.tar.gz" for i in range(4)]
    return folder


def _scramble_times(folder: Path, oldest_first: list[str]) -> None:
    """Give the files the modification times a copy in this order would give them."""
    now = time.time()
    for i, name in enumerate(oldest_first):
        os.utime(folder / name, (now + i, now + i))


def test_a_copied_folder_resumes_from_the_checkpoint_furthest_along(run_folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    _scramble_times(copy, ["chk_003.tar.gz", "chk_001.tar.gz", "chk_002.tar.gz", "chk_000.tar.gz"])
    assert [p.name for p in checkpoint_candidates(copy)] == [
        "chk_003.tar.gz",
        "chk_002.tar.gz",
        "chk_001.tar.gz",
        "chk_000.tar.gz",
    ]
    assert GloMPOManager.load_manager(copy).state.f_counter == 600


def test_a_touched_old_checkpoint_is_not_taken_for_the_newest(run_folder):
    (run_folder / "chk_000.tar.gz").touch()
    assert GloMPOManager.load_manager(run_folder).state.f_counter == 600


def test_equal_f_counters_are_ordered_by_the_creation_time_stored_inside(run_folder, tmp_path):
    # The same point on the timeline saved twice: the later save wins, whatever its name.
    (run_folder / "chk_002.tar.gz").unlink()
    (run_folder / "chk_000.tar.gz").unlink()
    shutil.copy(run_folder / "chk_003.tar.gz", run_folder / "aaa.tar.gz")
    resumed = GloMPOManager.load_manager(run_folder)
    resumed.checkpoint()  # chk_004: f_counter 600 again, created later
    _scramble_times(run_folder, ["chk_004.tar.gz", "aaa.tar.gz", "chk_003.tar.gz"])
    names = [p.name for p in checkpoint_candidates(run_folder)]
    assert names == ["chk_004.tar.gz", "chk_003.tar.gz", "aaa.tar.gz", "chk_001.tar.gz"]
    assert read_meta(run_folder / "chk_004.tar.gz")["f_counter"] == 600


def test_unreadable_metadata_sorts_last_and_loading_falls_back_past_it(run_folder):
    damaged = run_folder / "chk_003.tar.gz"
    damaged.write_bytes(damaged.read_bytes()[:200])
    (run_folder / "chk_000.tar.gz").touch()
    assert [p.name for p in checkpoint_candidates(run_folder)][:2] == [
        "chk_003.tar.gz",
        "chk_002.tar.gz",
    ]
    with pytest.warns(UserWarning, match="chk_003.tar.gz is damaged"):
        assert GloMPOManager.load_manager(run_folder).state.f_counter == 450


def test_inspect_lists_in_the_loading_order_newest_last(run_folder, capsys):
    _scramble_times(
        run_folder, ["chk_002.tar.gz", "chk_003.tar.gz", "chk_000.tar.gz", "chk_001.tar.gz"]
    )
    (run_folder / "broken.tar.gz").write_bytes(b"not a checkpoint")
    os.utime(run_folder / "broken.tar.gz", (0, 0))
    assert main(["inspect", str(run_folder), "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [Path(row["file"]).name for row in rows] == [
        "chk_000.tar.gz",
        "chk_001.tar.gz",
        "chk_002.tar.gz",
        "chk_003.tar.gz",
        "broken.tar.gz",
    ]
    assert [row.get("f_counter") for row in rows] == [150, 300, 450, 600, None]
    assert main(["inspect", str(run_folder)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [row["file"] for row in rows]
