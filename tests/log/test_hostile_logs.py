"""Damaged logs on resume: one ``LogFileError`` naming the file, and the log left byte for byte.

A finished run (log at call 400) is resumed from its checkpoint at call 300 after its log was
damaged with h5py. Loading the checkpoint and resuming the log must each refuse the damage with
one ``LogFileError`` (never a raw ``AttributeError``, ``KeyError``, ``TypeError`` ...) before
anything is moved: no rollback file appears and every file keeps its bytes.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.errors import LogFileError
from glompo_scope_chkpt.log.writer import LOG_FILENAME, OptimizationLog, read_log
from tests.helpers.hostile import copy_of, finished_run, folder_digest

CHECKPOINT, BOUND = "chk_002", 300


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("pristine") / "run"
    finished_run(run)
    assert read_meta(run / "checkpoints" / f"{CHECKPOINT}.tar.gz")["f_counter"] == BOUND
    return run


@pytest.fixture
def run(pristine, tmp_path) -> Path:
    return copy_of(pristine, tmp_path)


def _key_and_n(run: Path) -> tuple[str, int]:
    with h5py.File(run / LOG_FILENAME, "r") as f:
        return str(f.attrs["key"]), int(f.attrs["n_params"])


def _first_group(f: h5py.File) -> h5py.Group:
    return f[sorted(name for name in f if name.startswith("optimizer_"))[0]]


def _replace_rows(f: h5py.File, change) -> None:
    """Rewrite the first optimizer's rows after ``change(rows)`` (same dataset, same size)."""
    ds = _first_group(f)["iter_history"]
    rows = ds[()]
    change(rows)
    ds[...] = rows


def _swap_two(rows: np.ndarray) -> None:
    rows[[0, 1]] = rows[[1, 0]]


def _fake_tail(f: h5py.File) -> None:
    """Rows added but never filled (call_id 0) in a log that does not count its valid rows.

    A log of this version counts them (``n_rows``), and a resume cuts such rows as unfinished
    (tests/log/test_disk_full.py); without the count they cannot be told from data.
    """
    group = _first_group(f)
    del group.attrs["n_rows"]
    group["iter_history"].resize((group["iter_history"].shape[0] + 5,))


def _fixed_size(f: h5py.File) -> None:
    group = _first_group(f)
    rows = group["iter_history"][()]
    del group["iter_history"]
    group.create_dataset("iter_history", data=rows)


def _repeat_an_optimizer(f: h5py.File) -> None:
    f.copy(_first_group(f), f, name="optimizer_999")


def _bad_message_dtype(f: h5py.File) -> None:
    group = _first_group(f)
    del group["messages"]
    group.create_dataset("messages", shape=(0,), maxshape=(None,), dtype="i8")


DAMAGE = {
    "f_counter text": lambda f: f.attrs.__setitem__("f_counter", "400"),
    "n_params an array": lambda f: f.attrs.__setitem__("n_params", np.array([3, 3])),
    "format missing": lambda f: f.attrs.__delitem__("format"),
    "rollbacks not JSON": lambda f: f.attrs.__setitem__("rollbacks", "[{"),
    "rollbacks nested deep": lambda f: f.attrs.__setitem__("rollbacks", "[" * 100_000),
    "started after f_counter": lambda f: f.attrs.__setitem__("started_at_call", 10**6),
    "f_counter past 64 bits": lambda f: f.attrs.__setitem__("f_counter", np.uint64(2**64 - 1)),
    "group not numbered": lambda f: f.move(_first_group(f).name, "optimizer_x"),
    "optimizer a dataset": lambda f: f.create_dataset("optimizer_77", data=[1, 2]),
    "end_call missing": lambda f: _first_group(f).attrs.__delitem__("end_call"),
    "start_call a float": lambda f: _first_group(f).attrs.__setitem__("start_call", 1.5),
    "type a number": lambda f: _first_group(f).attrs.__setitem__("type", 3),
    "rows of a fixed size": _fixed_size,
    "messages of integers": _bad_message_dtype,
    "rows missing": lambda f: _first_group(f).__delitem__("iter_history"),
    "call_id out of order": lambda f: _replace_rows(f, _swap_two),
    "call_id 0 rows, uncounted": _fake_tail,
    "call_id above f_counter": lambda f: _replace_rows(
        f, lambda rows: rows["call_id"].__setitem__(-1, 10**6)
    ),
    "rows repeated in another optimizer": _repeat_an_optimizer,
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_log_is_refused_before_anything_is_moved(run, damage):
    key, n_params = _key_and_n(run)
    with h5py.File(run / LOG_FILENAME, "r+") as f:
        damage(f)
    before = folder_digest(run)
    with pytest.raises(LogFileError, match=str(run / LOG_FILENAME)) as err:
        GloMPOManager.load_manager(run / "checkpoints" / f"{CHECKPOINT}.tar.gz")
    assert type(err.value) is LogFileError and "untouched" in str(err.value)
    with pytest.raises(LogFileError, match=str(run / LOG_FILENAME)):
        OptimizationLog.resume(run / LOG_FILENAME, key, n_params, BOUND, CHECKPOINT)
    assert folder_digest(run) == before


def test_a_log_lacking_rows_before_the_checkpoint_says_so(run):
    key, n_params = _key_and_n(run)
    with h5py.File(run / LOG_FILENAME, "r+") as f:
        group = _first_group(f)
        ds = group["iter_history"]
        ids = ds.fields("call_id")[()]
        dropped = int(np.count_nonzero(ids[10:] <= BOUND))
        ds.resize((10,))
        group.attrs["n_rows"] = 10
    before = read_log(run / LOG_FILENAME)["optimizers"]
    with pytest.warns(UserWarning) as caught:
        OptimizationLog.resume(run / LOG_FILENAME, key, n_params, BOUND, CHECKPOINT).close()
    said = [str(w.message) for w in caught]
    assert any(f"lacks {dropped} of the rows up to checkpoint" in text for text in said), said
    after = read_log(run / LOG_FILENAME)["optimizers"]
    kept = np.concatenate([opt["call_id"] for opt in after.values()])
    assert len(kept) == BOUND - dropped
    for opt_id, opt in before.items():  # no row up to the checkpoint is lost by the resume
        np.testing.assert_array_equal(
            after[opt_id]["call_id"], opt["call_id"][opt["call_id"] <= BOUND]
        )


def test_a_whole_log_rolls_back_keeping_every_row_up_to_the_checkpoint(run):
    key, n_params = _key_and_n(run)
    original = read_log(run / LOG_FILENAME)
    with pytest.warns(UserWarning, match="moved to"):
        OptimizationLog.resume(run / LOG_FILENAME, key, n_params, BOUND, CHECKPOINT).close()
    kept = read_log(run / LOG_FILENAME)["optimizers"]
    for opt_id, opt in original["optimizers"].items():
        before = opt["call_id"][opt["call_id"] <= BOUND]
        after = kept[opt_id]["call_id"] if opt_id in kept else np.array([], dtype=np.int64)
        np.testing.assert_array_equal(after, before)
