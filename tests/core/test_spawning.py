"""Starting optimizers: what selectors and generators see, when spawning stops, exact resumes.

A serial, seeded run with GloMPO's generators and selectors, resumed from its checkpoints in
fresh processes, writes the same log rows as the run that was never stopped. This file is also
the script those processes run (``python test_spawning.py``).
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

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt import generators as gen
from glompo_scope_chkpt import opt_selectors as sel
from glompo_scope_chkpt.convergence import MaxFuncCalls, MaxSeconds, TargetCost
from glompo_scope_chkpt.engine.spawning import RunView, evaluation_budget
from glompo_scope_chkpt.errors import GloMPOError
from glompo_scope_chkpt.hunters import StagnationHunter
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.fresh import in_fresh_process, log_row_bytes
from tests.helpers.tasks import rastrigin

REPO_ROOT = Path(__file__).resolve().parents[2]  # the processes import the tests from there
LOG_NAME = "glompo_log.h5"


# ------------------------------------------------------------------ the script the processes run
def _components(case: str) -> dict[str, Any]:
    """The generator, selector and budget of each resume case."""
    cma = (CMAOptimizer, {"popsize": 5}, {"sigma0": 1.0})
    rand = (RandomOptimizer, {"max_evals": 35}, None)
    cases = {
        "basinhopping-random": (
            gen.BasinHoppingGenerator(max_step_size=1.5, interval=2),
            sel.RandomSelector(cma, rand, allow_spawn=sel.IterSpawnStop(220)),
            10_000,
        ),
        "exploit-chain": (
            gen.ExploitExploreGenerator(max_func_calls=260, focus=0.5),
            sel.ChainSelector(rand, cma, fcall_thresholds=[110]),
            260,
        ),
        "single-cycle-spawnstop": (
            gen.SinglePointGenerator(),
            sel.CycleSelector(rand, cma, allow_spawn=sel.NOptimizersSpawnStop(6)),
            10_000,
        ),
        "incumbent-perturbation": (
            gen.IncumbentGenerator(),
            sel.CycleSelector(rand, cma),
            240,
        ),
        "perturbation": (
            gen.PerturbationGenerator([1.0, -1.0, 0.5, 0.0], 0.8),
            sel.CycleSelector(cma, rand),
            240,
        ),
    }
    generator, selector, budget = cases[case]
    return {"generator": generator, "opt_selector": selector, "budget": budget}


def _build_manager(case: str, folder: Path) -> GloMPOManager:
    parts = _components(case)
    return GloMPOManager.new_manager(
        rastrigin,
        [(-5.12, 5.12)] * 4,
        parts["opt_selector"],
        generator=parts["generator"],
        working_dir=folder / "reference",
        executor="serial",
        max_jobs=3,
        seed=11,
        hunter=StagnationHunter(patience=30),
        convergence_checker=MaxFuncCalls(parts["budget"]),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=70,
            checkpointing_dir=folder / "checkpoints",
            naming_format="chk_%(count)",
        ),
        summary_files=3,
    )


def main(argv: list[str]) -> None:
    """``run CASE FOLDER`` or ``resume CHECKPOINT WORKING_DIR``; print the result as JSON."""
    import warnings

    mode, first, second = argv
    if mode == "run":
        manager = _build_manager(first, Path(second))
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
                "started": stats["optimizers_started"],
                "end_reason": stats["end_reason"],
            }
        )
    )


# -------------------------------------------------------------------------------------- helpers
def _log_metadata(path: Path) -> dict[str, dict[str, Any]]:
    with h5py.File(path, "r") as f:
        return {
            name: json.loads(group.attrs["metadata"])
            for name, group in f.items()
            if name.startswith("optimizer_")
        }


# ---------------------------------------------------------------------------------------- tests
@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        "basinhopping-random",
        "exploit-chain",
        "single-cycle-spawnstop",
        "incumbent-perturbation",
        "perturbation",
    ],
)
def test_a_resume_in_a_fresh_process_replays_the_run(tmp_path: Path, case: str) -> None:
    reference = in_fresh_process(__file__, ["run", case, str(tmp_path)], hash_seed=1)
    reference_rows = log_row_bytes(tmp_path / "reference" / LOG_NAME)
    assert len(reference_rows) == reference["f_counter"]
    checkpoints = sorted((tmp_path / "checkpoints").glob("chk_*.tar.gz"))
    assert len(checkpoints) >= 3
    first_middle_last = sorted({0, len(checkpoints) // 2, len(checkpoints) - 1})
    for number, index in enumerate(first_middle_last, start=2):
        checkpoint = checkpoints[index]
        work = tmp_path / checkpoint.name.split(".")[0]
        work.mkdir()
        shutil.copy(tmp_path / "reference" / LOG_NAME, work / LOG_NAME)  # as a killed job left it
        resumed = in_fresh_process(
            __file__, ["resume", str(checkpoint), str(work)], hash_seed=number
        )
        assert log_row_bytes(work / LOG_NAME) == reference_rows, f"resumed from {checkpoint.name}"
        assert resumed == reference, f"resumed from {checkpoint.name}"


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_when_spawning_stops_the_run_ends_once_the_running_optimizers_end(
    make_manager, executor: str
) -> None:
    manager = make_manager(
        opt_selector=sel.CycleSelector(
            (RandomOptimizer, {"max_evals": 40}), allow_spawn=sel.NOptimizersSpawnStop(3)
        ),
        executor=executor,
        max_jobs=2,
        hunter=None,
        convergence_checker=MaxFuncCalls(10_000),
        summary_files=3,
    )
    result = manager.start_manager()
    assert not result.interrupted
    assert result.stats["optimizers_started"] == 3
    assert result.stats["f_counter"] == 120
    assert result.stats["optimizers_converged"] == 3
    assert result.stats["end_reason"] == (
        "every optimizer has ended; NOptimizersSpawnStop(3) allows no more optimizers to start"
    )
    assert len(log_row_bytes(manager.settings.working_dir / LOG_NAME)) == 120


def test_a_selector_refusing_from_the_start_ends_the_run_at_once(make_manager) -> None:
    selector = sel.ChainSelector(RandomOptimizer, fcall_thresholds=[0])
    result = make_manager(opt_selector=selector).start_manager()
    assert result.stats["f_counter"] == 0 and result.stats["optimizers_started"] == 0
    assert (
        "ChainSelector starts no optimizer from 0 function evaluations on"
        in (result.stats["end_reason"])
    )


class RecordingGenerator(gen.RandomGenerator):
    """A generator that keeps every view it is given (and starts at random points)."""

    def __init__(self) -> None:
        super().__init__()
        self.views: list[RunView] = []

    def generate(self, view: RunView) -> np.ndarray:
        self.views.append(view)
        return super().generate(view)


def test_generators_see_the_run_as_it_stands(make_manager) -> None:
    generator = RecordingGenerator()
    make_manager(
        generator=generator, convergence_checker=MaxFuncCalls(600) | MaxSeconds(600)
    ).start_manager()
    views = generator.views
    assert [view.o_counter for view in views] == list(range(len(views)))
    assert len(views) >= 4 and views[0].best_x is None and views[0].optimizer_bests == ()
    assert [view.f_counter for view in views] == sorted(view.f_counter for view in views)
    assert all(view.max_f_calls == 600 and view.n_parms == 4 for view in views)
    later = [view for view in views if view.f_counter > 0]
    assert later
    for view in later:
        assert view.best_fx == min(best.fx for best in view.optimizer_bests)
        holder = next(b for b in view.optimizer_bests if b.opt_id == view.best_opt_id)
        np.testing.assert_array_equal(holder.x, view.best_x)
    with pytest.raises(ValueError, match="read-only"):
        views[-1].bounds[0, 0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        views[-1].best_x[0] = 0.0


def test_the_evaluation_budget_is_known_only_when_a_checker_sets_one() -> None:
    assert evaluation_budget(MaxFuncCalls(50)) == 50
    assert evaluation_budget(TargetCost(0.0) | (MaxFuncCalls(90) | MaxFuncCalls(70))) == 70
    assert evaluation_budget(MaxFuncCalls(50) & MaxSeconds(10)) is None
    assert evaluation_budget(MaxSeconds(10)) is None


def test_a_start_point_outside_the_bounds_is_an_error_naming_the_generator(make_manager) -> None:
    class Outside(gen.SinglePointGenerator):
        def generate(self, view: RunView) -> np.ndarray:
            return view.bounds[:, 1] + 1.0

    with pytest.raises(GloMPOError, match=r"SinglePointGenerator\(\) returned .* outside the"):
        make_manager(generator=Outside()).start_manager()


def test_glompo_specs_reach_the_optimizers(make_manager) -> None:
    with pytest.warns(UserWarning, match="workers= .* is ignored"):
        selector = sel.CycleSelector((CMAOptimizer, {"workers": 1, "popsize": 6}, {"sigma0": 0.7}))
    manager = make_manager(opt_selector=selector, summary_files=3)
    manager.start_manager()
    metadata = _log_metadata(manager.settings.working_dir / LOG_NAME)
    assert metadata["optimizer_1"] == {"popsize": "6", "sigma0": "0.7"}


if __name__ == "__main__":
    main(sys.argv[1:])
