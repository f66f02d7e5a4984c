"""The log's undo journal: a write cut short by a kill is undone at the next opening."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.errors import LogDiskError, LogFileError
from glompo_scope_chkpt.log.format import LIBVER
from glompo_scope_chkpt.log.handle import LogFile, open_for_writing
from glompo_scope_chkpt.log.space import SpaceClaim
from glompo_scope_chkpt.log.undo import (
    JournaledFile,
    _read_journal,
    journal_path,
    open_restored,
    restore,
)
from glompo_scope_chkpt.log.writer import OptimizationLog, read_log
from tests.helpers.disk import fill, small_tmpfs
from tests.helpers.paths import REPO_ROOT

DRIVER = REPO_ROOT / "tests" / "helpers" / "log_kill_driver.py"
ROWS_PER_WRITE = 7


def _drive(path: Path, kill_at: int, resume_at: int = 0) -> tuple[int, list[int]]:
    """Run the driver; return its exit code and the f_counter of each write it completed."""
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(path), str(kill_at), str(resume_at)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    wrote = [line.split() for line in done.stdout.splitlines()]
    return done.returncode, [int(words[1]) for words in wrote if words[0] == "WROTE"]


def _valid_calls(log: dict) -> list[int]:
    return sorted(int(c) for opt in log["optimizers"].values() for c in opt["call_id"])


# ------------------------------------------------------------------------- the journal itself
def _journaled_writes(path: Path) -> tuple[bytes, JournaledFile]:
    """A file of 64 bytes committed, then changed in place, cut and grown, uncommitted."""
    path.write_bytes(bytes(range(64)))
    backing = JournaledFile(path)
    committed = path.read_bytes()
    for offset, data in ((10, b"\xff" * 8), (60, b"\xee" * 30), (12, b"\xdd" * 4)):
        backing.seek(offset)
        backing.write(data)
    backing.truncate(40)
    backing.seek(50)
    backing.write(b"\xcc" * 20)
    return committed, backing


def test_restore_brings_back_the_last_committed_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    committed, backing = _journaled_writes(path)
    backing.close()
    assert path.read_bytes() != committed
    assert restore(path) and path.read_bytes() == committed
    assert not journal_path(path).exists()
    assert not restore(path) and path.read_bytes() == committed


def test_a_commit_empties_the_journal_and_the_next_write_starts_from_there(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    _, backing = _journaled_writes(path)
    backing.commit()  # the records of the first write must never be applied again
    committed = path.read_bytes()
    backing.seek(0)
    backing.write(b"\x01\x02")
    backing.close()
    assert restore(path) and path.read_bytes() == committed


def test_a_record_torn_by_the_kill_ends_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    committed, backing = _journaled_writes(path)
    backing.close()
    journal = journal_path(path)
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole[40:47])  # a record header cut in the middle
    assert restore(path) and path.read_bytes() == committed


def test_restoring_twice_is_restoring_once(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    committed, backing = _journaled_writes(path)
    backing.close()
    kept = journal_path(path).read_bytes()
    restore(path)
    journal_path(path).write_bytes(kept)  # killed after writing back, before removing it
    assert restore(path) and path.read_bytes() == committed


@pytest.mark.parametrize("content", [b"", b"GSCUNDO1\x00", b"not a journal of this package"])
def test_a_journal_without_a_whole_header_undoes_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "f.h5"
    path.write_bytes(b"log bytes")
    journal_path(path).write_bytes(content)
    assert not restore(path)
    assert path.read_bytes() == b"log bytes" and not journal_path(path).exists()


# ------------------------------------------------------------------- kills inside HDF5's writes
@pytest.mark.slow
def test_a_kill_inside_any_write_leaves_a_log_that_reads_and_resumes(tmp_path: Path) -> None:
    """SIGKILL half way through HDF5's k-th write, for k spread over a run of 890 writes."""
    for kill_at in range(3, 890, 37):
        path = tmp_path / f"k{kill_at}" / "glompo_log.h5"
        path.parent.mkdir()
        code, wrote = _drive(path, kill_at)
        assert code == -9, f"write {kill_at} was never reached"
        last = wrote[-1] if wrote else 0
        on_disk = path.read_bytes(), journal_path(path).read_bytes()
        calls = _valid_calls(read_log(path))  # read as restored, writing nothing
        assert (path.read_bytes(), journal_path(path).read_bytes()) == on_disk
        assert calls in (list(range(1, last + 1)), list(range(1, last + ROWS_PER_WRITE + 1)))
        restore(path)
        with h5py.File(path, "r") as f:  # plain HDF5 reads it now
            assert int(f.attrs["f_counter"]) in (last, last + ROWS_PER_WRITE)
        if kill_at % 4 == 3:
            code, again = _drive(path, 0, resume_at=last)
            assert code == 0 and again[-1] == last + 40 * ROWS_PER_WRITE
            assert _valid_calls(read_log(path)) == list(range(1, again[-1] + 1))


def test_the_package_reads_a_killed_log_as_restored_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "glompo_log.h5"
    code, wrote = _drive(path, 200)
    assert code == -9
    assert journal_path(path).stat().st_size > 0
    before = path.read_bytes()
    with open_restored(path) as f:
        assert int(f.attrs["f_counter"]) == wrote[-1]
    assert path.read_bytes() == before
    with LogFile(path) as f:  # opening for writing restores it on disk
        assert int(f.attrs["f_counter"]) == wrote[-1]
    assert not journal_path(path).exists()
    assert np.array_equal(_valid_calls(read_log(path)), np.arange(1, wrote[-1] + 1))


def test_a_log_open_for_writing_is_neither_restored_nor_opened_twice(tmp_path: Path) -> None:
    path = tmp_path / "glompo_log.h5"
    code, _ = _drive(path, 200)
    assert code == -9
    with LogFile(path):
        journal_path(path).write_bytes(b"")  # as mid-write: the journal is the writer's
        with pytest.raises(BlockingIOError):
            restore(path)
        with pytest.raises(LogFileError, match=r"glompo_log\.h5 cannot be opened for writing"):
            open_for_writing(path)


def test_a_new_log_never_takes_the_journal_of_a_log_that_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "glompo_log.h5"
    code, _ = _drive(path, 200)
    assert code == -9 and journal_path(path).stat().st_size > 0
    path.unlink()  # the killed log is gone, its journal stayed
    with pytest.warns(UserWarning, match="starting a new log"):
        log = OptimizationLog.resume(path, "kill-key", 3, 70, "chk")
    assert not journal_path(path).exists()
    log.close()
    assert read_log(path)["attrs"]["started_at_call"] == 70


@pytest.mark.parametrize("locking", ["", "FALSE"])
def test_hdf5_use_file_locking_false_turns_the_lock_off_as_for_hdf5(
    tmp_path: Path, locking: str
) -> None:
    path = tmp_path / "glompo_log.h5"
    code, _ = _drive(path, 0)
    assert code == 0
    other = "from pathlib import Path; import sys; from glompo_scope_chkpt.log.undo import restore"
    other += "; restore(Path(sys.argv[1]))"
    env = {**os.environ, "HDF5_USE_FILE_LOCKING": locking, "PYTHONPATH": str(REPO_ROOT)}
    with LogFile(path):  # another process locks it (or not) while it is written
        done = subprocess.run(
            [sys.executable, "-c", other, str(path)], capture_output=True, text=True, env=env
        )
    assert (done.returncode, "BlockingIOError" in done.stderr) == (
        (0, False) if locking else (1, True)
    ), done.stderr


def test_a_log_is_opened_for_writing_once_in_a_process_even_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "glompo_log.h5"
    code, _ = _drive(path, 0)
    assert code == 0
    monkeypatch.setenv("HDF5_USE_FILE_LOCKING", "FALSE")
    with LogFile(path), pytest.raises(LogFileError, match="open for writing already"):
        open_for_writing(path)


def test_a_large_cut_is_saved_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    content = np.random.default_rng(0).bytes(20 << 20)
    path.write_bytes(content)
    backing = JournaledFile(path)
    backing.truncate(1 << 20)  # HDF5 gives back the free space at the end of a large file
    backing.close()
    found = _read_journal(journal_path(path))
    assert found is not None and max(len(old) for _, old in found[2]) <= 8 << 20
    assert restore(path) and path.read_bytes() == content


def test_claimed_space_outlives_hdf5s_flushes_until_released(tmp_path: Path) -> None:
    path = tmp_path / "raw.h5"
    with h5py.File(path, "w", libver=LIBVER) as f:
        f.create_dataset("a", (0,), maxshape=(None,), chunks=(4096,), dtype="f8")
    with LogFile(path) as f:
        space = SpaceClaim(f)
        space.claim(f, 1 << 20)
        f["a"].resize((1000,))
        f["a"][:] = np.arange(1000)
        f.flush()  # HDF5 asks the file to end at its data: the claim stays for the next flush
        assert path.stat().st_size >= f.backing.data_end + (1 << 20)
        space.release(f)
        assert path.stat().st_size == f.backing.data_end
    with h5py.File(path, "r") as f:
        assert f["a"][:].tolist() == list(range(1000))


def test_a_journal_the_full_disk_refuses_stops_the_write_before_it_begins(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "glompo_log.h5"
        with h5py.File(path, "w", libver=LIBVER) as f:
            f.attrs["n"] = 0
        with LogFile(path) as f:
            space = SpaceClaim(f)
            space.claim(f, 1024, undo_bytes=1024)  # the file's space is claimed while there is some
            fill(disk / "filler")
            before = path.read_bytes()
            with pytest.raises(LogDiskError, match=r"glompo_log\.h5\.undo failed: No space left"):
                space.claim(f, 1024, undo_bytes=256 << 10)
            assert path.read_bytes() == before
            (disk / "filler").unlink()


def test_a_journal_of_another_log_is_kept_aside_and_undoes_nothing(tmp_path: Path) -> None:
    path, other = tmp_path / "glompo_log.h5", tmp_path / "other" / "glompo_log.h5"
    other.parent.mkdir()
    assert _drive(path, 200)[0] == -9 and _drive(other, 0)[0] == 0
    os.replace(other, path)  # a copy put in place of the killed log, its journal left
    replaced = path.read_bytes()
    assert _valid_calls(read_log(path)) == list(range(1, 281))  # read as it is
    with pytest.warns(UserWarning, match=r"glompo_log\.h5\.undo is not of the log beside it"):
        assert not restore(path)
    assert path.read_bytes() == replaced and not journal_path(path).exists()
    assert len(list(tmp_path.glob("glompo_log.h5.undo.other-*"))) == 1


def test_a_killed_log_moved_with_its_folder_resumes_there(tmp_path: Path) -> None:
    path = tmp_path / "run" / "glompo_log.h5"
    path.parent.mkdir()
    code, wrote = _drive(path, 40)  # a write that tears the log if not undone
    assert code == -9 and journal_path(path).stat().st_size > 0
    moved = tmp_path / "elsewhere" / "run" / "glompo_log.h5"
    moved.parent.parent.mkdir()
    shutil.move(path.parent, moved.parent)  # the journal goes with the log
    code, again = _drive(moved, 0, resume_at=wrote[-1])  # a fresh process, in the new place
    assert code == 0 and _valid_calls(read_log(moved)) == list(range(1, again[-1] + 1))
    assert not path.parent.exists() and not journal_path(moved).exists()
