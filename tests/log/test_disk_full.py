"""A full disk ends a run with one error naming the file and the disk, and damages nothing.

Runs write into a small tmpfs the test mounts (root only; skipped otherwise). The disk is filled
by the task itself at a chosen evaluation, or the run outgrows the tmpfs; then space is freed
and the run resumes in a fresh process. The log is judged with h5py against an uninterrupted
run: every row equal, no row of zeros, every dataset as long as its count of valid rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.errors import LogDiskError
from glompo_scope_chkpt.log.format import LIBVER, row_dtype
from glompo_scope_chkpt.log.handle import LogFile
from glompo_scope_chkpt.log.rollback import open_for_resume
from glompo_scope_chkpt.log.undo import restore
from glompo_scope_chkpt.log.writer import OptimizationLog, read_log
from tests.helpers.disk import fill, log_rows, resize_tmpfs, run, run_process, small_tmpfs

KEY = "disk-full-key"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], dict[str, Any]]:
    """The uninterrupted run of ``calls`` evaluations, on an ordinary disk: log rows and result."""
    done: dict[int, dict[str, Any]] = {}

    def get(calls: int) -> dict[str, Any]:
        if calls not in done:
            work = tmp_path_factory.mktemp("reference") / "run"
            result = run(str(work), calls=calls)
            done[calls] = {"rows": log_rows(work / "glompo_log.h5"), "result": result}
        return done[calls]

    return get


def _one_disk_error(stderr: str, disk: Path) -> str:
    """Check the run ended with one disk error naming the file and the disk; return it."""
    assert "During handling of the above exception" not in stderr, stderr
    assert "Segmentation fault" not in stderr and "Exception ignored" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert "DiskError: " in last and "Writing " in last, stderr
    assert f"On the disk {disk} (device tmpfs, tmpfs)" in last and " free of " in last, last
    assert "No space left on device" in last, last
    return last


def _sound(log: Path) -> None:
    """The log opens, and holds only real rows: no call_id 0, increasing within an optimizer."""
    for rows in log_rows(log).values():
        calls = np.array(rows["call_id"])
        assert (calls > 0).all() and (np.diff(calls) > 0).all(), calls


@pytest.mark.parametrize(
    ("at", "calls"),
    [(700, 2000), (1750, 2000), (3100, 4000)],
    ids=["before-a-checkpoint", "before-the-summary", "late"],
)
def test_full_disk_ends_the_run_and_resume_gives_every_row(
    tmp_path: Path, reference: Callable[[int], dict[str, Any]], at: int, calls: int
) -> None:
    with small_tmpfs(tmp_path / "disk", "16m") as disk:
        work, filler = disk / "run", disk / "filler"
        failed = run_process(work=str(work), filler=str(filler), at=at, calls=calls)
        assert failed.returncode == 1
        _one_disk_error(failed.stderr, disk)
        _sound(work / "glompo_log.h5")
        filler.unlink()
        resumed = run_process(work=str(work), resume=True, calls=calls)
        assert resumed.returncode == 0, resumed.stderr
        assert log_rows(work / "glompo_log.h5") == reference(calls)["rows"]
        assert json.loads(resumed.stdout) == reference(calls)["result"]


def test_a_run_that_outgrows_its_disk_resumes_on_a_larger_one(
    tmp_path: Path, reference: Callable[[int], dict[str, Any]]
) -> None:
    with small_tmpfs(tmp_path / "disk", "2200k") as disk:
        work = disk / "run"
        failed = run_process(work=str(work), calls=4000)
        assert failed.returncode == 1
        last = _one_disk_error(failed.stderr, disk)
        assert "glompo_log.h5" in last and "it needed" in last
        _sound(work / "glompo_log.h5")
        resize_tmpfs(disk, "64m")
        resumed = run_process(work=str(work), resume=True, calls=4000)
        assert resumed.returncode == 0, resumed.stderr
        assert log_rows(work / "glompo_log.h5") == reference(4000)["rows"]


def test_a_checkpoint_that_finds_the_disk_full_only_warns_when_asked(
    tmp_path: Path, reference: Callable[[int], dict[str, Any]]
) -> None:
    """raise_checkpoint_fail=False: the checkpoint fails, the run goes on once space is back.

    The disk is full from evaluation 1,000 (whose checkpoint then fails) to 1,004, a pass or two
    of the serial loop (3 evaluations each) after it. Evaluation 1,000 lasts over a second, so
    the loop's timed log write, which would end the run on the full disk, is due at once unless
    it counts its second from the checkpoint's own write of the log.
    """
    with small_tmpfs(tmp_path / "disk", "16m") as disk:
        work, filler = disk / "run", disk / "filler"
        done = run_process(
            work=str(work),
            filler=str(filler),
            at=1000,
            free_at=1004,
            stall=1.2,
            raise_checkpoint_fail=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Checkpoint failed, the optimization continues" in done.stderr
        assert f"On the disk {disk} (device tmpfs, tmpfs)" in done.stderr
        assert log_rows(work / "glompo_log.h5") == reference(2000)["rows"]


# ------------------------------------------------------------------ the log on its own


def _put(log: OptimizationLog, first: int, count: int) -> None:
    for call in range(first, first + count):
        log.put_iteration(1, call, np.full(3, float(call)), float(call))


def test_a_refused_write_leaves_the_file_as_flushed_and_keeps_the_rows(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "glompo_log.h5"
        log = OptimizationLog.create(path, KEY, 3, {}, buffer_rows=256)
        log.add_optimizer(1, "Random", 0, {})
        _put(log, 1, 1000)
        log.flush()
        fill(disk / "filler")
        with pytest.raises(LogDiskError, match=r"glompo_log\.h5 failed: No space left on device"):
            _put(log, 1001, 20_000)
        on_disk = path.read_bytes()
        with pytest.raises(LogDiskError):
            log.flush()
        assert path.read_bytes() == on_disk  # a refused write writes nothing
        found = read_log(path)["optimizers"][1]["call_id"]
        assert found.tolist() == list(range(1, found[-1] + 1)) and found[-1] >= 1000
        (disk / "filler").unlink()
        log.close()  # space is back: the rows kept in memory are written
        found = read_log(path)["optimizers"][1]["call_id"]
        assert found.tolist() == list(range(1, found[-1] + 1)) and found[-1] > 1000
        with h5py.File(path, "r") as f:  # the claimed space was given back
            assert path.stat().st_size == f.id.get_filesize()


def test_a_file_whose_write_failed_is_closed_without_writing_and_then_undone(
    tmp_path: Path,
) -> None:
    """HDF5 itself fails (no space was claimed): closing writes nothing, reopening undoes it."""
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "raw.h5"
        with h5py.File(path, "w", libver=LIBVER) as f:
            f.create_dataset("a", (0,), maxshape=(None,), chunks=(4096,), dtype="f8")
        f = LogFile(path)
        rows = f["a"]
        rows.resize((1000,))
        rows[:] = np.arange(1000)
        f.flush()
        flushed = path.read_bytes()
        fill(disk / "filler")
        with pytest.raises((OSError, RuntimeError)):
            rows.resize((100_000,))
            rows[1000:] = 1.0
            f.flush()
        (disk / "filler").unlink()  # a flush on closing would now succeed
        before = path.read_bytes()
        f.abandon()
        assert path.read_bytes() == before
        restore(path)  # undoes what the failed write began, if the full disk let it begin
        assert path.read_bytes() == flushed  # as the last flush left it
        with h5py.File(path, "r") as again:  # and the file opens again in this process
            assert again["a"][:].tolist() == list(range(1000))


def test_a_failed_checkpoint_flush_keeps_the_rows_for_the_next_write(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "glompo_log.h5"
        log = OptimizationLog.create(path, KEY, 3, {}, buffer_rows=100_000)
        log.add_optimizer(1, "Random", 0, {})
        _put(log, 1, 500)
        fill(disk / "filler")
        with pytest.raises(LogDiskError):
            log.flush()
        (disk / "filler").unlink()
        _put(log, 501, 10)
        log.close()
        assert read_log(path)["optimizers"][1]["call_id"].tolist() == list(range(1, 511))


def test_resume_cuts_rows_past_the_valid_count(tmp_path: Path) -> None:
    """Rows a failed write added beyond ``n_rows`` are not data: cut, never moved or kept."""
    path = tmp_path / "glompo_log.h5"
    with OptimizationLog.create(path, KEY, 3, {}) as log:
        log.add_optimizer(1, "Random", 0, {})
        log.add_optimizer(2, "Random", 0, {})
        _put(log, 1, 10)
        log.put_message(1, 10, "ten")
    with h5py.File(path, "r+") as f:  # what a write that failed half way leaves
        history = f["optimizer_1/iter_history"]
        history.resize((15,))  # five rows of zeros (call_id 0)
        f["optimizer_1/messages"].resize((3,))
        f["optimizer_2/iter_history"].resize((4,))
    handle = open_for_resume(path, KEY, 3, 10, "chk_000")
    handle.close()
    found = read_log(path)["optimizers"]
    assert found[1]["call_id"].tolist() == list(range(1, 11))
    assert found[1]["messages"] == [(10, "ten")] and found[2]["call_id"].size == 0
    with h5py.File(path, "r") as f:
        assert f["optimizer_1/iter_history"].shape == (10,)
        assert f["optimizer_2/iter_history"].shape == (0,)
    assert not list(tmp_path.glob("*.rollback-*"))  # nothing moved aside: there was no data


def test_rollback_moves_only_valid_rows(tmp_path: Path) -> None:
    path = tmp_path / "glompo_log.h5"
    with OptimizationLog.create(path, KEY, 3, {}) as log:
        log.add_optimizer(1, "Random", 0, {})
        _put(log, 1, 20)
    with h5py.File(path, "r+") as f:
        f["optimizer_1/iter_history"].resize((25,))
    with pytest.warns(UserWarning, match="10 later rows"):
        open_for_resume(path, KEY, 3, 10, "chk_000").close()
    moved = read_log(next(tmp_path.glob("*.rollback-*")))["optimizers"][1]["call_id"]
    assert moved.tolist() == list(range(11, 21))
    assert read_log(path)["optimizers"][1]["call_id"].tolist() == list(range(1, 11))


def test_logs_without_valid_counts_still_resume(tmp_path: Path) -> None:
    """A log of an earlier version has no ``n_rows``: all its rows count."""
    path = tmp_path / "glompo_log.h5"
    with OptimizationLog.create(path, KEY, 3, {}) as log:
        log.add_optimizer(1, "Random", 0, {})
        _put(log, 1, 20)
    with h5py.File(path, "r+") as f:
        del f["optimizer_1"].attrs["n_rows"], f["optimizer_1"].attrs["n_messages"]
    with pytest.warns(UserWarning, match="10 later rows"):
        log = OptimizationLog.resume(path, KEY, 3, 10, "chk_000")
    _put(log, 11, 5)
    log.close()
    found = read_log(path)["optimizers"][1]
    assert found["call_id"].tolist() == list(range(1, 16))
    assert found["x"].dtype == row_dtype(3)["x"].base
