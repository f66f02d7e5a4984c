"""Temporary files: one name pattern with the creating process; a later run removes leftovers.

The leftovers are real: child processes are SIGKILLed in the middle of a checkpoint write, of an
atomic write of a manifest or rollback file, and of loading a checkpoint.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt._fileio import atomic_path
from glompo_scope_chkpt._tempfiles import (
    STALE_AFTER,
    TMP_MARK,
    remove_leftovers,
    scratch_dir,
    temp_owner,
    temp_prefix,
)
from glompo_scope_chkpt.errors import CheckpointLoadError
from tests.helpers.leftover_driver import EVALUATIONS, build_manager
from tests.helpers.leftovers import (
    holding,
    kill_tree,
    leave_behind,
    read_until_ready,
    start_driver,
    temp_names,
    wait_for,
)

HOST = temp_owner(f"{temp_prefix('x')}abc").host


def _removal_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "glompo_scope_chkpt._tempfiles"]


def test_temporary_names_carry_this_host_and_process(tmp_path):
    with atomic_path(tmp_path / "movie_manifest.json") as tmp, scratch_dir(tmp_path, "x") as work:
        tmp.write_text("{}")
        for made in (tmp, work):
            assert made.name.startswith(".") and TMP_MARK in made.name
            assert temp_owner(made.name) == (HOST, os.getpid())
    assert os.listdir(tmp_path) == ["movie_manifest.json"]
    for foreign in (
        "notes.tmp",
        "chk_001.tar.gz.tmp-abc12345",  # earlier versions' names carry no process id
        ".task-k2j3h4g5",
        "glompo-load-x1y2z3",
        f".a{TMP_MARK}{HOST}-0-abc",
        f".a{TMP_MARK}{HOST}-12-",
        f"a{TMP_MARK}{HOST}-12-abc",
    ):
        assert temp_owner(foreign) is None, foreign


def test_only_leftovers_of_ended_processes_are_removed(tmp_path, caplog):
    dead = leave_behind(tmp_path / "movie_manifest.json", tmp_path / "glompo_log.rollback-c.h5")
    old_elsewhere = tmp_path / f".x.json{TMP_MARK}node-7-4242-abcdefgh"
    keep = [
        tmp_path / "notes.tmp",
        tmp_path / "chk_001.tar.gz.tmp-abc12345",
        tmp_path / f".x.json{TMP_MARK}node-7-4243-abcdefgh",  # another host's, recent
    ]
    for path in [*keep, old_elsewhere]:
        path.write_text("mine")
    long_ago = time.time() - STALE_AFTER - 60
    os.utime(old_elsewhere, (long_ago, long_ago))
    assert all(p.exists() and temp_owner(p.name).pid != os.getpid() for p in dead)
    caplog.set_level(logging.INFO)
    with holding(tmp_path / "live.json") as live, scratch_dir(tmp_path, "mine") as own:
        removed = remove_leftovers([tmp_path, tmp_path, tmp_path / "missing"])
        assert sorted(removed) == sorted([*dead, old_elsewhere])
        assert all(p.exists() for p in [*keep, *live, own])
    assert not any(p.exists() for p in removed)
    (line,) = _removal_lines(caplog)
    assert all(str(p) in line for p in removed)
    assert remove_leftovers([tmp_path]) == live  # its process has ended now
    assert all(p.exists() for p in keep)


def test_a_leftover_of_a_killed_process_not_yet_reaped_is_removed(tmp_path):
    child = subprocess.Popen(["sleep", "60"])
    try:
        child.kill()
        deadline = time.monotonic() + 10
        while not Path(f"/proc/{child.pid}/stat").read_text().split(") ")[-1].startswith("Z"):
            assert time.monotonic() < deadline, "the killed child never became a zombie"
            time.sleep(0.01)
        leftover = tmp_path / f".glomporecording_final.png{TMP_MARK}{HOST}-{child.pid}-abcd1234"
        leftover.write_bytes(b"half a picture")
        assert remove_leftovers([tmp_path]) == [leftover] and not leftover.exists()
    finally:
        child.wait()


def test_a_checkpoint_killed_midway_is_cleaned_up_by_the_next_session(tmp_path, caplog):
    work = tmp_path / "run"
    chk = work / "checkpoints"
    proc = start_driver("checkpoint", work, 64)
    in_archive = f".tar.gz{TMP_MARK}"
    wait_for(lambda: chk.is_dir() and any(in_archive in n for n in os.listdir(chk)), proc)
    kill_tree(proc)
    left = temp_names(chk, proc.pid)
    assert any(in_archive in p.name for p in left)
    assert any(p.is_dir() and ".task" in p.name for p in left), left
    left += leave_behind(chk / "movie_manifest.json", work / "glompo_log.rollback-chk_000.h5")
    mine = [chk / "notes.tmp", work / "notes.tmp"]
    for path in mine:
        path.write_text("mine")
    caplog.set_level(logging.INFO)
    with holding(chk / "live.json") as live:
        result = build_manager(work, 0, overwrite_existing=True).start_manager()
        assert result.stats["f_counter"] == EVALUATIONS
        assert temp_names(chk) == live and temp_names(work) == []
    assert all(p.exists() for p in mine)
    (line,) = _removal_lines(caplog)
    assert all(str(p) in line for p in left)


def test_loading_leaves_tmpdir_as_it_was_even_when_killed(tmp_path):
    work = tmp_path / "run"
    chk = work / "checkpoints"
    build_manager(work, 24).checkpoint()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    shutil.copy(chk / "chk_000.tar.gz", damaged / "chk_000.tar.gz")
    with open(damaged / "chk_000.tar.gz", "r+b") as handle:
        handle.truncate(20_000)
    rng = random.Random(14)

    def env(name: str) -> dict[str, str]:
        tmpdir = tmp_path / name
        tmpdir.mkdir()
        return {**os.environ, "TMPDIR": str(tmpdir)}

    for round_ in range(5):
        proc = start_driver("load", chk, env=env(f"tmp_kill{round_}"))
        read_until_ready(proc)
        time.sleep(rng.uniform(0.0, 0.6))
        kill_tree(proc)
        assert os.listdir(tmp_path / f"tmp_kill{round_}") == []
    assert temp_names(chk), "no kill landed while a checkpoint was being extracted"
    for args, said in [
        ((damaged / "chk_000.tar.gz",), "CheckpointLoadError"),
        ((chk, "no-loader"), "TaskNotAvailableError"),
        ((chk,), "LOADED"),
    ]:
        proc = start_driver("load-once", *args, env=env(f"tmp_{said}"))
        assert proc.communicate(timeout=120)[0].split() == [said]
        assert os.listdir(tmp_path / f"tmp_{said}") == []
        assert temp_names(damaged) == [] and len(temp_names(chk, proc.pid)) == 0
    proc = start_driver("resume", chk, env=env("tmp_resume"))
    assert proc.communicate(timeout=120)[0].split() == ["DONE", str(EVALUATIONS)]
    assert os.listdir(tmp_path / "tmp_resume") == []
    assert temp_names(chk) == [] and temp_names(work) == []


def test_loading_uses_tmpdir_only_when_the_checkpoints_folder_takes_no_file(tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    dead = leave_behind(tmpdir / "movie_manifest.json")
    with pytest.raises(CheckpointLoadError, match="does not exist"):
        GloMPOManager.load_manager(tmp_path / "gone" / "chk_000.tar.gz")
    assert all(not p.exists() for p in dead) and os.listdir(tmpdir) == []
