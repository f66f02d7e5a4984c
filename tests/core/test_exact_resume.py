"""A serial, seeded run resumed from any checkpoint, in a fresh process, replays the run exactly.

Each run and each resume happens in its own interpreter, with its own hash salt, as a requeued
job would: this file is also the script those processes run (``python test_exact_resume.py``).
Checkpoints fall mid-population, with evaluations pending and a hunter killing optimizers.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import dill
import pytest

from tests.helpers.fresh import first_difference, in_fresh_process, log_row_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]  # the script runs outside pytest: no imports
LOG_NAME = "glompo_log.h5"

CASES: dict[str, dict[str, Any]] = {
    "CMAOptimizer": {
        "options": {"popsize": 7},
        "max_jobs": 3,
        "every": 101,
        "budget": 560,
        "patience": 60,
    },
    "NevergradOptimizer": {  # pycma inside nevergrad, populations handed out 3 at a time
        "options": {"optimizer": "CMA", "budget": 300, "workers": 3},
        "max_jobs": 3,
        "every": 101,
        "budget": 560,
        "patience": 25,
    },
    "ScipyOptimizeWrapper": {  # scipy's minimize threads, rebuilt by replay
        "options": {"method": "Nelder-Mead", "max_evals": 150},
        "max_jobs": 3,
        "every": 73,
        "budget": 400,
        "patience": 8,
    },
    "RandomOptimizer": {
        "options": {"max_evals": 90},
        "max_jobs": 2,
        "every": 37,
        "budget": 200,
        "patience": 40,
    },
}


# ------------------------------------------------------------------ the script the processes run
def _build_manager(config: dict[str, Any], folder: Path) -> Any:
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager, optimizers
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.hunters import StagnationHunter
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from tests.helpers.tasks import rastrigin

    cls = getattr(optimizers, config["optimizer"])
    control = CheckpointingControl(
        checkpoint_iter_frequency=config["every"],
        checkpointing_dir=folder / "checkpoints",
        naming_format="chk_%(count)",
    )
    return GloMPOManager.new_manager(
        rastrigin,
        [(-5.12, 5.12)] * 4,
        CycleSelector((cls, config["options"])),
        working_dir=folder / "reference",
        executor="serial",
        max_jobs=config["max_jobs"],
        seed=7,
        hunter=StagnationHunter(patience=config["patience"]),
        hunt_frequency=10,
        convergence_checker=MaxFuncCalls(config["budget"]),
        checkpoint_control=control,
        summary_files=3,
    )


def main(argv: list[str]) -> None:
    """``run CONFIG_JSON FOLDER`` or ``resume CHECKPOINT WORKING_DIR``; print the result as JSON."""
    import warnings

    from glompo_scope_chkpt import GloMPOManager

    mode, first, second = argv
    if mode == "run":
        manager = _build_manager(json.loads(first), Path(second))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the log's rolled-back rows are expected
            manager = GloMPOManager.load_manager(first, working_dir=second)
    result = manager.start_manager()
    stats = result.stats
    print(
        json.dumps(
            {
                "x": result.x.tolist(),
                "fx": result.fx,
                "f_counter": stats["f_counter"],
                "killed": stats["optimizers_killed"],
            }
        )
    )


# -------------------------------------------------------------------------------------- helpers
def _saved_state(archive: Path, tmp: Path) -> Any:
    from glompo_scope_chkpt.checkpoint.archive import read_checkpoint

    return dill.loads(read_checkpoint(archive, tmp).payload)["state"]


def _assert_checkpoints_cut_populations(checkpoints: list[Path], config: dict, tmp: Path) -> None:
    """The scenario is the hard one: evaluations pending, CMA populations half told."""
    states = [_saved_state(path, tmp) for path in checkpoints]
    assert any(state.pending for state in states)
    if config["optimizer"] == "CMAOptimizer":
        popsize = config["options"]["popsize"]
        for state in states:
            running = [rec.optimizer for rec in state.optimizers.values() if rec.running]
            assert any(optimizer.n_told % popsize for optimizer in running)


# ---------------------------------------------------------------------------------------- tests
@pytest.mark.slow
@pytest.mark.parametrize("optimizer", sorted(CASES))
def test_resume_from_every_checkpoint_in_a_fresh_process_replays_the_run(
    tmp_path: Path, optimizer: str
) -> None:
    config = dict(CASES[optimizer], optimizer=optimizer)
    reference = in_fresh_process(__file__, ["run", json.dumps(config), str(tmp_path)], hash_seed=1)
    assert reference["f_counter"] == config["budget"]
    assert reference["killed"] >= 1
    checkpoints = sorted((tmp_path / "checkpoints").glob("chk_*.tar.gz"))
    assert len(checkpoints) == config["budget"] // config["every"]
    _assert_checkpoints_cut_populations(checkpoints, config, tmp_path / "extract")
    reference_rows = log_row_bytes(tmp_path / "reference" / LOG_NAME)
    assert len(reference_rows) == config["budget"]

    for number, checkpoint in enumerate(checkpoints, start=2):
        work = tmp_path / checkpoint.name.split(".")[0]
        work.mkdir()
        shutil.copy(tmp_path / "reference" / LOG_NAME, work / LOG_NAME)  # as a killed job left it
        resumed = in_fresh_process(
            __file__, ["resume", str(checkpoint), str(work)], hash_seed=number
        )
        rows = log_row_bytes(work / LOG_NAME)
        first = first_difference(rows, reference_rows)
        assert first is None, f"resumed from {checkpoint.name}: rows differ from call {first} on"
        assert resumed == reference, f"resumed from {checkpoint.name}"


if __name__ == "__main__":
    main(sys.argv[1:])
