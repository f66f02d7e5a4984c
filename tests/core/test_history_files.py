"""The history files beside the checkpoints: resumed prefixes, records kept aside, kills, moves.

Loads and resumes run in fresh interpreters (this file is also their script, ``python
test_history_files.py MODE ...``), as a requeued job would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers.fresh import in_fresh_process
from tests.helpers.hostile import finished_run, folder_digest

POINTS, MARKERS = "history_points.bin", "history_markers.jsonl"
RECORD = np.dtype([("call_id", "<i8"), ("fx", "<f8"), ("opt_id", "<i4")])


# ---------------------------------------------------------------------- the fresh-process script
def _history_json(manager: Any) -> dict[str, Any]:
    history = manager.state.history
    return {
        "f_counter": manager.state.f_counter,
        "traces": {
            str(opt_id): [trace.call_ids.tolist(), trace.fx.tolist()]
            for opt_id, trace in sorted(history.traces.items())
        },
        "markers": [[m.kind, m.call_id, m.opt_id, m.fx, m.label] for m in history.markers],
    }


def main(argv: list[str]) -> None:
    """``load CHECKPOINT``, or ``resume CHECKPOINT BUDGET``, or ``run FOLDER``: print JSON."""
    import warnings

    from glompo_scope_chkpt import GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls

    mode, path, *rest = argv
    if mode == "run":
        _endless_run(Path(path))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the log's rolled-back rows are expected
        if mode == "load":
            manager = GloMPOManager.load_manager(path)
        else:
            budget = MaxFuncCalls(int(rest[0]))
            manager = GloMPOManager.load_manager(path, convergence_checker=budget)
            manager.start_manager()
    print(json.dumps(_history_json(manager)))


def _endless_run(folder: Path) -> None:
    """A serial run checkpointing every 50 evaluations until it is killed."""
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import RandomOptimizer
    from tests.helpers.tasks import slow_sphere

    GloMPOManager.new_manager(
        task=slow_sphere,
        bounds=[(-5, 5)] * 2,
        opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 70})),
        working_dir=folder,
        executor="serial",
        seed=3,
        convergence_checker=MaxFuncCalls(10**9),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=50,
            naming_format="chk_%(count)",
            checkpointing_dir=folder / "checkpoints",
        ),
    ).start_manager()


# -------------------------------------------------------------------------------------- helpers
def _points(path: Path) -> np.ndarray:
    """The point records of a history file (or an aside file), after its header line."""
    data = path.read_bytes()
    body = data[data.index(b"\n") + 1 :]
    return np.frombuffer(body[: len(body) - len(body) % RECORD.itemsize], dtype=RECORD)


def _markers(path: Path) -> list[list[Any]]:
    lines = path.read_bytes().split(b"\n")[1:]
    return [json.loads(line) for line in lines if line]


def _traces(records: np.ndarray) -> dict[str, list[list[Any]]]:
    return {
        str(opt_id): [
            records["call_id"][records["opt_id"] == opt_id].tolist(),
            records["fx"][records["opt_id"] == opt_id].tolist(),
        ]
        for opt_id in sorted(set(records["opt_id"].tolist()))
    }


def _up_to_checkpoint(markers: list[list[Any]], name: str) -> list[list[Any]]:
    end = next(i for i, m in enumerate(markers) if m[0] == "checkpoint" and m[4] == name)
    return markers[: end + 1]


def _fresh(*args: str) -> dict[str, Any]:
    return in_fresh_process(__file__, list(args), hash_seed=len(args))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A finished serial run of 600 evaluations, checkpointed every 100 (chk_000 ... chk_004)."""
    folder = tmp_path_factory.mktemp("history") / "run"
    finished_run(folder, evaluations=600, every=100)
    return folder


@pytest.fixture
def run(run_folder, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    return copy


# ---------------------------------------------------------------------------------------- tests
def test_the_files_hold_the_whole_run_and_a_checkpoint_only_their_mark(run):
    from glompo_scope_chkpt.checkpoint.archive import read_checkpoint

    chk = run / "checkpoints"
    records = _points(chk / POINTS)
    assert records["call_id"].tolist() == list(range(1, 601))
    contents = read_checkpoint(chk / "chk_004.tar.gz", run / "x")
    mark = contents.meta["history"]
    assert mark["points_bytes"] < (chk / POINTS).stat().st_size
    assert len(contents.payload) < 40_000  # 500 evaluations would add ~10 kB if pickled
    assert not contents.history


def test_resuming_an_early_checkpoint_gets_its_history_and_keeps_the_rest_aside(run):
    chk = run / "checkpoints"
    records, markers = _points(chk / POINTS), _markers(chk / MARKERS)
    before = folder_digest(run)
    loaded = _fresh("load", str(chk / "chk_001.tar.gz"))
    assert folder_digest(run) == before, "loading changed a file"
    assert loaded["traces"] == _traces(records[records["call_id"] <= 200])
    early = _up_to_checkpoint(markers, "chk_001")
    assert loaded["markers"] == early

    resumed = _fresh("resume", str(chk / "chk_001.tar.gz"), "300")
    assert resumed["f_counter"] == 300
    aside = _points(chk / "history_points.aside-chk_001.bin")
    np.testing.assert_array_equal(aside, records[records["call_id"] > 200])
    assert _markers(chk / "history_markers.aside-chk_001.jsonl") == markers[len(early) :]
    now = _points(chk / POINTS)
    assert now["call_id"].tolist() == list(range(1, 301))
    np.testing.assert_array_equal(now, records[:300])  # serial and seeded: the same points again
    assert resumed["traces"] == _traces(now)


def test_a_torn_last_record_leaves_every_checkpoint_resumable(run):
    from glompo_scope_chkpt import GloMPOManager

    chk = run / "checkpoints"
    records = _points(chk / POINTS)
    torn = records[-1:].tobytes()[:13]
    with open(chk / POINTS, "ab") as f:  # a kill in the middle of appending one record
        f.write(torn)
    with open(chk / MARKERS, "ab") as f:
        f.write(b'["killed", 601, 3, 1.5, "te')
    for archive in sorted(chk.glob("chk_*.tar.gz")):
        manager = GloMPOManager.load_manager(archive)
        n_points = sum(len(t) for t in manager.state.history.traces.values())
        assert n_points == manager.state.f_counter
    resumed = _fresh("resume", str(chk / "chk_004.tar.gz"), "650")
    assert resumed["f_counter"] == 650
    assert _points(chk / POINTS)["call_id"].tolist() == list(range(1, 651))
    aside = (chk / "history_points.aside-chk_004.bin").read_bytes()
    assert aside.endswith(records[500:].tobytes() + torn)
    assert _points(chk / "history_points.aside-chk_004.bin")["call_id"].tolist() == list(
        range(501, 601)
    )


def test_a_run_killed_at_any_moment_resumes_from_every_kept_checkpoint(tmp_path):
    folder, chk = tmp_path / "run", tmp_path / "run" / "checkpoints"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, __file__, "run", str(folder)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(list(chk.glob("chk_*.tar.gz"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.137)  # somewhere between two checkpoints, likely mid-append
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    archives = sorted(chk.glob("chk_*.tar.gz"))
    assert len(archives) >= 3
    written = _points(chk / POINTS)
    for number, archive in enumerate(archives):  # each in its own copy: a resume supersedes
        copy = shutil.copytree(folder, tmp_path / f"copy{number}") / "checkpoints"
        count = int(json.loads(_meta(archive))["f_counter"])
        resumed = _fresh("resume", str(copy / archive.name), str(count + 30))
        assert resumed["f_counter"] == count + 30
        kept = written[written["call_id"] <= count]
        assert _points(copy / POINTS)[: len(kept)].tobytes() == kept.tobytes()


def _meta(archive: Path) -> bytes:
    import tarfile

    with tarfile.open(archive) as tar:
        member = tar.extractfile("meta.json")
        assert member is not None
        return member.read()


def test_a_moved_run_folder_resumes_with_its_history(run, tmp_path):
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(run, moved)
    resumed = _fresh("resume", str(moved / "checkpoints"), "700")
    assert resumed["f_counter"] == 700
    assert _points(moved / "checkpoints" / POINTS)["call_id"].tolist() == list(range(1, 701))
    assert (moved / "checkpoints" / "history_points.aside-chk_004.bin").exists()


def test_a_checkpoint_copied_alone_fails_clearly_and_a_self_contained_one_loads(run, tmp_path):
    from glompo_scope_chkpt import GloMPOManager
    from glompo_scope_chkpt.errors import CheckpointLoadError

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(run / "checkpoints" / "chk_004.tar.gz", alone)
    with pytest.raises(CheckpointLoadError, match=r"history_points\.bin.*is missing") as err:
        GloMPOManager.load_manager(alone / "chk_004.tar.gz")
    assert "self_contained=True" in str(err.value)

    manager = GloMPOManager.load_manager(run / "checkpoints")
    archive = manager.checkpoint(self_contained=True)
    shutil.copy(archive, alone)
    loaded = _fresh("load", str(alone / archive.name))
    assert loaded == _history_json(manager)
    resumed = _fresh("resume", str(alone / archive.name), "550")
    assert resumed["f_counter"] == 550
    assert _points(alone / POINTS)["call_id"].tolist() == list(range(1, 551))


@pytest.mark.parametrize("damage", ["altered", "short", "foreign"])
def test_a_history_file_that_does_not_match_fails_naming_it(run, damage):
    from glompo_scope_chkpt import GloMPOManager
    from glompo_scope_chkpt.errors import CheckpointLoadError

    path = run / "checkpoints" / POINTS
    data = bytearray(path.read_bytes())
    if damage == "altered":
        data[200] ^= 1
        expected = "SHA-256 differs"
    elif damage == "short":
        data = data[:3000]
        expected = "needs its first"
    else:
        start = data.index(b'"key": "') + 8
        data[start : start + 4] = b"beef"
        expected = "another optimization"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointLoadError, match=expected) as err:
        GloMPOManager.load_manager(run / "checkpoints" / "chk_004.tar.gz")
    assert str(path) in str(err.value)


def test_checkpoint_size_is_flat_in_the_number_of_evaluations(tmp_path):
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import RandomOptimizer
    from tests.helpers.tasks import sphere

    sizes = []
    for budget in (2_000, 20_000):
        manager = GloMPOManager.new_manager(
            task=sphere,
            bounds=[(-5, 5)] * 3,
            opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 10**6})),
            working_dir=tmp_path / str(budget),
            executor="serial",
            max_optimizers=2,
            seed=1,
            convergence_checker=MaxFuncCalls(budget),
            checkpoint_control=CheckpointingControl(
                checkpoint_at_conv=True, checkpointing_dir=tmp_path / str(budget) / "chk"
            ),
        )
        manager.start_manager()
        (archive,) = manager.settings.checkpoint_control.checkpointing_dir.glob("*.tar.gz")
        sizes.append(archive.stat().st_size)
    assert abs(sizes[1] - sizes[0]) < 2_000, sizes


if __name__ == "__main__":
    main(sys.argv[1:])


@pytest.mark.parametrize("source", ["file", "embedded"])
def test_history_is_read_a_bounded_block_at_a_time(tmp_path: Path, source: str) -> None:
    """A self-contained checkpoint's embedded history too: never the whole of it at once."""
    from glompo_scope_chkpt.core.journal.reader import _BLOCK, _Part

    data = bytes(range(256)) * (3 * _BLOCK // 256 + 7)
    path = tmp_path / "history_points.bin"
    path.write_bytes(data)
    part = _Part(path, 5) if source == "file" else _Part(data, 5)
    blocks = list(part.blocks(len(data) - 9))
    assert max(len(block) for block in blocks) <= _BLOCK and len(blocks) == 4
    assert b"".join(blocks) == data[5:-4]
