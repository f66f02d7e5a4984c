"""GloMPO's *customized* example with ``glompo`` replaced by ``glompo_scope_chkpt``.

Each setting of the manager is given explicitly: CMA-ES on a 20-dimensional Schwefel function,
a combined stop rule, a combined hunting rule, random starts, processes, the live scope with a
movie, a checkpoint at the end and the HDF5 log. Progress lines come through the
``glompo.manager`` logger, configured as a GloMPO script does.

Environment (for tests): ``GLOMPO_EXAMPLE_MAX_CALLS`` the evaluation budget (default 100000),
``GLOMPO_EXAMPLE_DELAY`` seconds per evaluation (default 0).
"""

import logging
import os
import sys

from glompo_scope_chkpt.benchmark_fncs import Schwefel
from glompo_scope_chkpt.convergence import MaxFuncCalls, TargetCost
from glompo_scope_chkpt.core.checkpointing import CheckpointingControl
from glompo_scope_chkpt.core.manager import GloMPOManager
from glompo_scope_chkpt.generators import RandomGenerator
from glompo_scope_chkpt.hunters import (
    BestUnmoving,
    EvaluationsUnmoving,
    ParameterDistance,
    ValueAnnealing,
)
from glompo_scope_chkpt.opt_selectors import CycleSelector

try:
    from glompo_scope_chkpt.optimizers.cmawrapper import CMAOptimizer
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError("This example needs the cma package.") from missing

if __name__ == "__main__":
    # The manager's INFO lines make a progress report; GloMPO's logger name works unchanged.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    progress = logging.getLogger("glompo.manager")
    progress.addHandler(handler)
    progress.setLevel("INFO")

    task = Schwefel(dims=20, delay=float(os.environ.get("GLOMPO_EXAMPLE_DELAY", "0")))

    # Stop after the budget, or earlier on reaching the (here known) global minimum.
    max_calls = int(os.environ.get("GLOMPO_EXAMPLE_MAX_CALLS", "100000"))
    checker = MaxFuncCalls(max_calls) | TargetCost(task.min_fx)

    # CMA-ES with a step of half the bounds' width and 12 points per generation.
    low, high = task.bounds[0]
    selector = CycleSelector(
        (CMAOptimizer, {"workers": 1, "popsize": 12}, {"sigma0": (high - low) / 2})
    )

    # Kill optimizers that stall or crowd another's minimum; spare the competitive ones.
    # Combinations are lazy: in a | b, b is not judged once a is true.
    hunters = (
        EvaluationsUnmoving(100, 0.01) & ValueAnnealing(0.10)
        | BestUnmoving(max_calls // 15, 0.2)
        | ParameterDistance(task.bounds, 0.05)
    )

    scope = {
        "record_movie": True,
        "x_range": (0, max_calls),
        "y_range": None,
        "log_scale": False,
        "events_per_flush": 500,
        "interactive_mode": True,  # a window where a display exists
        "writer_kwargs": {"fps": 8},
        "movie_kwargs": {"outfile": "distance_demo.mp4", "dpi": 200},
    }
    at_the_end = CheckpointingControl(
        checkpoint_at_conv=True,
        naming_format="customized_completed_%(date)_%(time).tar.gz",
        checkpointing_dir="customized_example_outputs",
    )

    manager = GloMPOManager.new_manager(
        task=task,
        bounds=task.bounds,
        opt_selector=selector,
        working_dir="customized_example_outputs",
        overwrite_existing=True,
        max_jobs=10,
        backend="processes",
        convergence_checker=checker,
        x0_generator=RandomGenerator(task.bounds),
        killing_conditions=hunters,
        share_best_solutions=False,
        hunt_frequency=500,
        status_frequency=60,
        checkpoint_control=at_the_end,
        summary_files=3,
        is_log_detailed=False,
        visualisation=True,
        visualisation_args=scope,
        force_terminations_after=-1,
        split_printstreams=True,
    )
    result = manager.start_manager()

    print(f"Schwefel's global minimum: {task.min_fx:.3E}")
    print("Best point found:")
    print(result)
