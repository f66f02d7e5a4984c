"""A run SIGKILLed after a checkpoint and resumed replays what its log holds, calling the task
only for points never evaluated.

Each run and each resume happens in its own interpreter, as a requeued job would: this file is
also the script those processes run (``python test_replay.py``). The task records every point it
is called on in a file and, in the killed run, SIGKILLs its own process at a given call.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from tests.helpers.fresh import in_fresh_process, killed_in_fresh_process, log_row_bytes
from tests.helpers.tasks import called_points

LOG_NAME = "glompo_log.h5"
EVERY, KILL_AT, BUDGET = 50, 90, 150  # checkpoint every 50 calls; killed at call 90
SERIAL = {"executor": "serial", "max_jobs": 1, "every": EVERY, "budget": BUDGET}
THREADS = {"executor": "threads", "max_jobs": 2, "every": 100, "budget": 400, "sleep": 0.02}


# ------------------------------------------------------------------ the script the processes run
def _new_manager(config: dict[str, Any], work: Path) -> Any:
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.hunters import StagnationHunter
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
    from tests.helpers.tasks import CountsCalls

    if config["executor"] == "serial":
        selector = CycleSelector(
            (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 40})
        )
    else:  # each optimizer asks the same points in any order of results
        selector = CycleSelector((RandomOptimizer, {"max_evals": 10_000}))
    return GloMPOManager.new_manager(
        CountsCalls(work / "calls_1.txt", config.get("kill_at"), config.get("sleep", 0.0)),
        [(-5.12, 5.12)] * 4,
        selector,
        working_dir=work,
        executor=config["executor"],
        max_jobs=config["max_jobs"],
        seed=5,
        hunter=StagnationHunter(patience=30),
        hunt_frequency=10,
        convergence_checker=MaxFuncCalls(config["budget"]),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=config["every"],
            checkpointing_dir=work / "checkpoints",
            naming_format="chk_%(count)",
        ),
        summary_files=3,
    )


def main(argv: list[str]) -> None:
    """``run CONFIG_JSON WORK`` or ``resume CONFIG_JSON WORK``; print the result as JSON."""
    import warnings

    from glompo_scope_chkpt import GloMPOManager
    from tests.helpers.tasks import CountsCalls

    mode, config, work = argv[0], json.loads(argv[1]), Path(argv[2])
    if mode == "run":
        manager = _new_manager(config, work)
    else:
        task = CountsCalls(work / "calls_2.txt", deterministic=config.get("deterministic", True))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the log's rolled-back rows are expected
            manager = GloMPOManager.load_manager(
                work / "checkpoints", task=task, **config.get("overrides", {})
            )
    result = manager.start_manager()
    keys = ("f_counter", "evaluations_replayed", "replay_seconds_saved")
    print(
        json.dumps({"x": result.x.tolist(), "fx": result.fx, **{k: result.stats[k] for k in keys}})
    )


# -------------------------------------------------------------------------------------- helpers
def _rows(path: Path) -> list[tuple[int, str, float]]:
    """Every valid row of a log or rollback file: ``(call_id, x hex, fx)``, by ``call_id``."""
    rows = []
    with h5py.File(path, "r") as f:
        for group in f.values():
            for row in group["iter_history"][: int(group.attrs["n_rows"])]:
                rows.append((int(row["call_id"]), row["x"].tobytes().hex(), float(row["fx"])))
    return sorted(rows)


def _rollback_points(work: Path) -> list[tuple[int, str, float]]:
    """Every row of the rollback files in ``work``, by ``call_id``."""
    return sorted(row for path in work.glob("glompo_log.rollback-*.h5") for row in _rows(path))


def _log_points(work: Path) -> list[tuple[int, str, float]]:
    """Every valid row of the log in ``work``: ``(call_id, x hex, fx)``."""
    return _rows(work / LOG_NAME)


def _replayed_messages(work: Path) -> list[int]:
    """The ``call_id`` of every row the log marks as replayed."""
    calls = []
    with h5py.File(work / LOG_NAME, "r") as f:
        for group in f.values():
            for call_id, text in group["messages"][: int(group.attrs["n_messages"])]:
                if text.decode().startswith("replayed:"):
                    calls.append(int(call_id))
    return sorted(calls)


def _resume(killed: Path, case: Path, seed: int, **config: Any) -> dict[str, Any]:
    shutil.copytree(killed, case)
    return in_fresh_process(__file__, ["resume", json.dumps(config), str(case)], hash_seed=seed)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The uninterrupted serial run, and the same run killed at call ``KILL_AT``."""
    root = tmp_path_factory.mktemp("replay")
    reference = in_fresh_process(
        __file__, ["run", json.dumps(SERIAL), str(root / "reference")], hash_seed=1
    )
    killed_config = dict(SERIAL, kill_at=KILL_AT)
    killed_in_fresh_process(__file__, ["run", json.dumps(killed_config), str(root / "killed")], 2)
    return {"root": root, "reference": reference}


# ---------------------------------------------------------------------------------------- tests
@pytest.mark.slow
def test_a_killed_serial_run_replays_its_log_and_ends_as_the_uninterrupted_one(
    runs: dict[str, Any],
) -> None:
    root = runs["root"]
    ref_calls = called_points(root / "reference" / "calls_1.txt")
    assert len(ref_calls) == BUDGET
    assert called_points(root / "killed" / "calls_1.txt") == ref_calls[:KILL_AT]
    resumed = _resume(root / "killed", root / "replay", seed=3)
    work = root / "replay"
    assert called_points(work / "calls_2.txt") == ref_calls[KILL_AT - 1 :]  # never evaluated
    rolled_back = _rollback_points(work)
    assert [row[0] for row in rolled_back] == list(range(EVERY + 1, KILL_AT))  # nothing lost
    assert [row[1] for row in rolled_back] == ref_calls[EVERY : KILL_AT - 1]
    assert log_row_bytes(work / LOG_NAME) == log_row_bytes(root / "reference" / LOG_NAME)
    assert _replayed_messages(work) == list(range(EVERY + 1, KILL_AT))
    assert resumed["evaluations_replayed"] == KILL_AT - 1 - EVERY
    assert resumed["replay_seconds_saved"] > 0
    reference = runs["reference"]
    for key in ("x", "fx", "f_counter"):
        assert resumed[key] == reference[key]
    assert reference["evaluations_replayed"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "config",
    [
        {"deterministic": False},
        {"overrides": {"replay_evaluations": False}},
    ],
    ids=["non-deterministic task", "replay_evaluations=False"],
)
def test_without_replay_every_point_after_the_checkpoint_is_evaluated_again(
    runs: dict[str, Any], config: dict[str, Any]
) -> None:
    root = runs["root"]
    case = root / ("nondeterministic" if "deterministic" in config else "off")
    resumed = _resume(root / "killed", case, seed=4, **config)
    ref_calls = called_points(root / "reference" / "calls_1.txt")
    assert called_points(case / "calls_2.txt") == ref_calls[EVERY:]
    assert resumed["evaluations_replayed"] == 0 and _replayed_messages(case) == []
    assert log_row_bytes(case / LOG_NAME) == log_row_bytes(root / "reference" / LOG_NAME)


@pytest.mark.slow
def test_a_rollback_file_of_another_run_is_never_used(runs: dict[str, Any]) -> None:
    root = runs["root"]
    case = root / "foreign"
    shutil.copytree(root / "killed", case)
    (case / LOG_NAME).unlink()  # resumed with a new log: no rollback file of its own
    foreign = case / "glompo_log.rollback-other.h5"
    shutil.copy(root / "reference" / LOG_NAME, foreign)  # same points, another run's key
    with h5py.File(foreign, "r+") as f:
        f.attrs["kind"] = "rollback"
    resumed = in_fresh_process(__file__, ["resume", "{}", str(case)], hash_seed=5)
    ref_calls = called_points(root / "reference" / "calls_1.txt")
    assert called_points(case / "calls_2.txt") == ref_calls[EVERY:]
    assert resumed["evaluations_replayed"] == 0


@pytest.mark.slow
def test_with_threads_replay_serves_the_logged_points_asked_again_in_any_order(
    tmp_path: Path,
) -> None:
    """With threads, which points the resumed run asks again depends on the order results came
    in (a hunt may stop another optimizer): every logged point it asks is served from the log,
    none is evaluated again."""
    killed = tmp_path / "killed"
    config = dict(THREADS, kill_at=290)
    killed_in_fresh_process(__file__, ["run", json.dumps(config), str(killed)], hash_seed=6)
    resumed = _resume(killed, tmp_path / "replay", seed=7)
    work = tmp_path / "replay"
    logged = {x: fx for _, x, fx in _rollback_points(work) if not np.isnan(fx)}
    assert len(logged) > 20  # the log was written while the killed run went on
    replayed = set(_replayed_messages(work))
    assert resumed["evaluations_replayed"] == len(replayed) >= len(logged) // 2
    rows = {call_id: (x, fx) for call_id, x, fx in _log_points(work)}
    assert all(logged.get(rows[call_id][0]) == rows[call_id][1] for call_id in replayed)
    called = set(called_points(work / "calls_2.txt"))
    assert called.isdisjoint(logged)
    assert resumed["f_counter"] == THREADS["budget"]


if __name__ == "__main__":
    main(sys.argv[1:])
