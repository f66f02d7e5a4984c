"""A job that starts an optimization, or resumes it from its checkpointing dir: run as a script.

Usage: ``python tests/helpers/kill_driver.py WORKING_DIR EVALUATIONS``. Prints
``RESUMED <f_counter>`` or ``NEW`` when it starts and ``DONE <f_counter>`` or
``INTERRUPTED <f_counter>`` when it stops.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find ``tests``

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import CheckpointLoadError
from glompo_scope_chkpt.hunters import StagnationHunter
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.tasks import slow_sphere


def main(work: Path, evaluations: int) -> None:
    chk = work / "checkpoints"
    try:
        manager = GloMPOManager.load_manager(chk)
        print("RESUMED", manager.state.f_counter, flush=True)
    except CheckpointLoadError:
        manager = GloMPOManager.new_manager(
            task=slow_sphere,
            bounds=[(-5, 5)] * 3,
            opt_selector=CycleSelector(
                (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 200})
            ),
            working_dir=work,
            executor="threads",
            max_jobs=2,
            seed=11,
            hunter=StagnationHunter(100),
            convergence_checker=MaxFuncCalls(evaluations),
            checkpoint_control=CheckpointingControl(
                checkpoint_iter_frequency=120,
                checkpoint_at_init=True,
                naming_format="k_%(count)",
                checkpointing_dir=chk,
            ),
            summary_files=3,
            visualisation=True,
            visualisation_args={
                "record_movie": True,
                "events_per_flush": 10,
                "movie_kwargs": {"dpi": 40},
            },
            overwrite_existing=True,
        )
        print("NEW", flush=True)
    result = manager.start_manager()
    print("INTERRUPTED" if result.interrupted else "DONE", result.stats["f_counter"], flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
