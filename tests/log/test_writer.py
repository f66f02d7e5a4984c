"""Tests of the HDF5 log: layout, buffering, the seed's resume rules, rollback and SIGKILL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.errors import InvalidSettingError, LogFileError, LogKeyMismatchError
from glompo_scope_chkpt.log.writer import LOG_FILENAME, OptimizationLog, read_log

N_PARAMS = 3


def _x(call_id: int) -> np.ndarray:
    return np.full(N_PARAMS, float(call_id))


def _all_call_ids(path: Path) -> np.ndarray:
    data = read_log(path)
    parts = [opt["call_id"] for opt in data["optimizers"].values()]
    return np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)


def _build_ahead_log(path: Path) -> None:
    """Four optimizers around a checkpoint at call 60, the log running on to call 100.

    0 runs throughout; 1 ends at 80 (after the checkpoint); 2 ends at 30 (before);
    3 starts at 70 (after). Calls are numbered in processing order, shared by all optimizers.
    """
    with OptimizationLog.create(path, "key-A", N_PARAMS, {"task": "sphere"}, 16) as log:
        for opt_id in (0, 1, 2):
            log.add_optimizer(opt_id, "Random", 0, {"seed": opt_id})
        for call in range(1, 101):
            if call == 70:
                log.add_optimizer(3, "CMA", 69, {"sigma0": 0.5})
            owner = [o for o in (0, 1, 2, 3) if _alive(o, call)][call % 2 if call < 70 else 0]
            if call >= 70 and call % 3 == 0:
                owner = 3
            log.put_iteration(owner, call, _x(call), float(call))
            if call in (20, 65):
                log.put_message(0, call, f"note at {call}")
            if call == 30:
                log.end_optimizer(2, "killed", 30)
            if call == 80:
                log.end_optimizer(1, "converged", 80)
            if call == 60:
                log.flush()


def _alive(opt_id: int, call: int) -> bool:
    return {0: True, 1: call <= 80, 2: call < 30, 3: call >= 70}[opt_id]


def test_create_layout(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    with OptimizationLog.create(path, "k", N_PARAMS, {"task": "sphere", "dims": 3}) as log:
        log.add_optimizer(7, "Random", 0, {"seed": 1, "bounds": np.array([1.0, 2.0])})
        log.put_iteration(7, 1, _x(1), 2.5)
        log.put_message(7, 1, "started")
        log.end_optimizer(7, "converged", 1)
        log.set_root_attrs(end_reason="max calls", sessions=[1, 2])
    with h5py.File(path, "r") as f:
        assert f.attrs["key"] == "k" and f.attrs["f_counter"] == 1 and f.attrs["n_params"] == 3
        assert f.attrs["task"] == "sphere" and f.attrs["end_reason"] == "max calls"
        group = f["optimizer_7"]
        assert group.attrs["type"] == "Random" and group.attrs["end_reason"] == "converged"
        rows = group["iter_history"][()]
        assert rows.dtype.names == ("call_id", "x", "fx") and rows["x"].shape == (1, N_PARAMS)
        assert group["iter_history"].chunks is not None
    data = read_log(path)
    assert data["optimizers"][7]["attrs"]["metadata"] == {"seed": 1, "bounds": [1.0, 2.0]}
    assert data["optimizers"][7]["messages"] == [(1, "started")]


def test_create_refuses_existing_file_and_reserved_names(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    path.write_bytes(b"user data")
    with pytest.raises(LogFileError, match=str(path)):
        OptimizationLog.create(path, "k", N_PARAMS, {})
    assert path.read_bytes() == b"user data"
    with pytest.raises(InvalidSettingError, match="reserved"):
        OptimizationLog.create(tmp_path / "other.h5", "k", N_PARAMS, {"f_counter": 3})


def test_rows_are_buffered_until_full_or_flushed(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    log = OptimizationLog.create(path, "k", N_PARAMS, {}, buffer_rows=4)
    log.add_optimizer(0, "Random", 0, {})
    log.flush()
    before = path.read_bytes()
    for call in (1, 2, 3):
        log.put_iteration(0, call, _x(call), 1.0)
    assert path.read_bytes() == before and log.f_counter == 3
    log.put_iteration(0, 4, _x(4), 1.0)  # the buffer is full: one batch write
    assert path.read_bytes() != before
    log.put_iteration(0, 5, _x(5), 1.0)
    log.close()
    log.close()  # idempotent
    assert _all_call_ids(path).tolist() == [1, 2, 3, 4, 5]


def test_bad_rows_are_refused(tmp_path: Path) -> None:
    log = OptimizationLog.create(tmp_path / LOG_FILENAME, "k", N_PARAMS, {})
    log.add_optimizer(0, "Random", 0, {})
    with pytest.raises(LogFileError, match="not running"):
        log.put_iteration(1, 1, _x(1), 0.0)
    log.put_iteration(0, 5, _x(5), 0.0)
    with pytest.raises(LogFileError, match="not above"):
        log.put_iteration(0, 5, _x(5), 0.0)
    with pytest.raises(LogFileError, match="n_params=3"):
        log.put_iteration(0, 6, np.zeros(2), 0.0)
    with pytest.raises(LogFileError, match="already in the log"):
        log.add_optimizer(0, "Random", 0, {})
    with pytest.raises(InvalidSettingError, match="reserved"):
        log.set_root_attrs(key="other")
    log.end_optimizer(0, "killed", 5)
    log.put_iteration(0, 6, _x(6), 0.0)  # an evaluation in flight when the optimizer ended
    with pytest.raises(LogFileError, match="not running"):
        log.end_optimizer(0, "killed again", 6)
    log.close()
    assert _all_call_ids(tmp_path / LOG_FILENAME).tolist() == [5, 6]
    with pytest.raises(LogFileError, match="closed"):
        log.put_iteration(0, 7, _x(7), 0.0)


def test_resume_absent_log_warns_and_starts_new(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    with pytest.warns(UserWarning, match=str(path)):
        log = OptimizationLog.resume(path, "k", N_PARAMS, 500, "cp_500")
    with log:
        assert log.f_counter == 500
        log.add_optimizer(0, "Random", 480, {})
        log.put_iteration(0, 501, _x(501), 1.0)
    data = read_log(path)
    assert data["attrs"]["started_at_call"] == 500 and data["attrs"]["key"] == "k"
    assert _all_call_ids(path).tolist() == [501]


def test_resume_with_other_key_raises_and_leaves_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    _build_ahead_log(path)
    before = path.read_bytes()
    with pytest.raises(LogKeyMismatchError) as info:
        OptimizationLog.resume(path, "key-B", N_PARAMS, 60, "cp")
    text = str(info.value)
    assert str(path) in text and "key-A" in text and "key-B" in text
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOG_FILENAME]


@pytest.mark.parametrize("content", [b"not an hdf5 file", None])
def test_resume_unusable_file_raises_untouched(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / LOG_FILENAME
    if content is None:
        _build_ahead_log(path)  # a real log, but of another dimension
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(LogFileError, match=str(path)):
        OptimizationLog.resume(path, "key-A", N_PARAMS + 1, 60, "cp")
    assert path.read_bytes() == before


def test_resume_ahead_rolls_back_and_preserves(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    _build_ahead_log(path)
    original = read_log(path)
    with pytest.warns(UserWarning, match="moved to"):
        log = OptimizationLog.resume(path, "key-A", N_PARAMS, 60, "cp_60")
    log.close()
    main, aside = read_log(path), read_log(tmp_path / "glompo_log.rollback-cp_60.h5")
    assert _all_call_ids(path).tolist() == list(range(1, 61))
    assert sorted(main["optimizers"]) == [0, 1, 2]
    assert main["optimizers"][1]["attrs"]["end_call"] == -1  # ended after: reopened
    assert main["optimizers"][1]["attrs"]["end_reason"] == ""
    assert main["optimizers"][2]["attrs"]["end_reason"] == "killed"  # ended before: kept
    assert main["optimizers"][0]["messages"] == [(20, "note at 20")]
    assert main["attrs"]["f_counter"] == 60 and main["attrs"]["rollbacks"][0]["to_call"] == 60
    # Everything removed is in the rollback file, with the state it had.
    assert _all_call_ids(tmp_path / "glompo_log.rollback-cp_60.h5").tolist() == list(range(61, 101))
    assert aside["optimizers"][3]["attrs"]["whole_optimizer"]
    assert aside["optimizers"][3]["attrs"]["type"] == "CMA"
    assert aside["optimizers"][1]["attrs"]["end_reason"] == "converged"
    assert aside["optimizers"][0]["messages"] == [(65, "note at 65")]
    assert aside["attrs"]["rolled_back_to"] == 60 and aside["attrs"]["key"] == "key-A"
    for opt_id, opt in original["optimizers"].items():
        kept = main["optimizers"].get(opt_id, {"fx": np.array([])})["fx"]
        moved = aside["optimizers"].get(opt_id, {"fx": np.array([])})["fx"]
        np.testing.assert_array_equal(np.concatenate([kept, moved]), opt["fx"])


def test_rollback_never_overwrites_an_earlier_rollback_file(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    _build_ahead_log(path)
    with pytest.warns(UserWarning):
        OptimizationLog.resume(path, "key-A", N_PARAMS, 90, "cp").close()
    first = (tmp_path / "glompo_log.rollback-cp.h5").read_bytes()
    with pytest.warns(UserWarning, match="rollback-cp.1.h5"):
        OptimizationLog.resume(path, "key-A", N_PARAMS, 40, "cp").close()
    assert (tmp_path / "glompo_log.rollback-cp.h5").read_bytes() == first
    assert _all_call_ids(tmp_path / "glompo_log.rollback-cp.1.h5").tolist() == list(range(41, 91))
    assert _all_call_ids(path).tolist() == list(range(1, 41))


def test_resume_equal_appends_without_warning(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    _build_ahead_log(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = OptimizationLog.resume(path, "key-A", N_PARAMS, 100, "cp_100")
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOG_FILENAME]  # no rollback file
    with log:
        log.add_optimizer(0, "Random", 0, {"seed": 0})  # re-registering a running optimizer
        with pytest.raises(LogFileError, match="not above"):
            log.put_iteration(0, 100, _x(100), 0.0)
        log.put_iteration(0, 101, _x(101), 0.0)
        log.put_iteration(3, 102, _x(102), 0.0)
    assert _all_call_ids(path).tolist() == list(range(1, 103))
    assert read_log(path)["optimizers"][0]["attrs"]["start_call"] == 0


def test_reregistering_with_another_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    _build_ahead_log(path)
    log = OptimizationLog.resume(path, "key-A", N_PARAMS, 100, "cp")
    with log, pytest.raises(LogFileError, match="is a Random, not CMA"):
        log.add_optimizer(0, "CMA", 0, {})


def test_resumed_log_holds_every_call_id_once(tmp_path: Path) -> None:
    """Session 1 checkpoints at 200 and dies at 300; session 2 resumes at 200 and runs to 350."""
    path = tmp_path / LOG_FILENAME

    def run(log: OptimizationLog, calls: range, stop_flush_at: int | None = None) -> None:
        for call in calls:
            log.put_iteration(call % 3, call, _x(call), float(-call))
            if call == stop_flush_at:
                log.flush()

    log = OptimizationLog.create(path, "k", N_PARAMS, {}, buffer_rows=32)
    for opt_id in range(3):
        log.add_optimizer(opt_id, "Random", 0, {})
    run(log, range(1, 301), stop_flush_at=200)
    log.close()
    with pytest.warns(UserWarning):
        log = OptimizationLog.resume(path, "k", N_PARAMS, 200, "cp_200", buffer_rows=32)
    with log:
        for opt_id in range(3):
            log.add_optimizer(opt_id, "Random", 0, {})
        run(log, range(201, 351))
    ids = _all_call_ids(path)
    assert ids.tolist() == list(range(1, 351))
    assert len(np.unique(ids)) == len(ids)


def test_log_opens_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / LOG_FILENAME
    script = textwrap.dedent(
        f"""
        import os, signal
        import numpy as np
        from glompo_scope_chkpt.log.writer import OptimizationLog
        log = OptimizationLog.create({str(path)!r}, "k", 4, {{}}, buffer_rows=500)
        for opt_id in range(3):
            log.add_optimizer(opt_id, "Random", 0, {{}})
        x = np.ones(4)
        for call in range(1, 5001):
            log.put_iteration(call % 3, call, x, 1.0)
        log.flush()
        for call in range(5001, 6200):  # two batch writes, then rows only buffered
            log.put_iteration(call % 3, call, x, 1.0)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    with h5py.File(path, "r") as f:
        rows = sum(f[f"optimizer_{i}/iter_history"].shape[0] for i in range(3))
        assert rows >= 5000
        assert f.attrs["f_counter"] >= 5000
    assert _all_call_ids(path).tolist() == list(range(1, rows + 1))
