"""GloMPO's *nudging* example with ``glompo`` replaced by ``glompo_scope_chkpt``.

The customized example's run, with good points shared: the manager hands the best point found
so far to its optimizers (``share_best_solutions=True``), and each CMA-ES takes it into its
population at most every 10 generations (``force_injects``, ``injection_frequency``). The
hunters are loosened to suit. Environment as in ``customized.py``.
"""

import logging
import os
import sys

from glompo_scope_chkpt.benchmark_fncs import Schwefel
from glompo_scope_chkpt.convergence import MaxFuncCalls, TargetCost
from glompo_scope_chkpt.core.checkpointing import CheckpointingControl
from glompo_scope_chkpt.core.manager import GloMPOManager
from glompo_scope_chkpt.generators import RandomGenerator
from glompo_scope_chkpt.hunters import BestUnmoving, EvaluationsUnmoving
from glompo_scope_chkpt.opt_selectors import CycleSelector

try:
    from glompo_scope_chkpt.optimizers.cmawrapper import CMAOptimizer
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError("This example needs the cma package.") from missing

if __name__ == "__main__":
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    progress = logging.getLogger("glompo.manager")
    progress.addHandler(handler)
    progress.setLevel("INFO")

    task = Schwefel(dims=20, delay=float(os.environ.get("GLOMPO_EXAMPLE_DELAY", "0")))
    max_calls = int(os.environ.get("GLOMPO_EXAMPLE_MAX_CALLS", "100000"))
    checker = MaxFuncCalls(max_calls) | TargetCost(task.min_fx)

    # The CMA-ES of customized.py, now taking the manager's best point every 10 generations.
    low, high = task.bounds[0]
    creation = {"workers": 1, "popsize": 12, "force_injects": True, "injection_frequency": 10}
    selector = CycleSelector((CMAOptimizer, creation, {"sigma0": (high - low) / 2}))

    # Optimizers drawn towards one point crowd each other: no ParameterDistance hunter here.
    hunters = EvaluationsUnmoving(100, 0.01) | BestUnmoving(max_calls // 15, 0.2)

    scope = {
        "record_movie": True,
        "x_range": (0, max_calls),
        "y_range": None,
        "log_scale": False,
        "events_per_flush": 500,
        "interactive_mode": True,
        "writer_kwargs": {"fps": 8},
        "movie_kwargs": {"outfile": "distance_demo.mp4", "dpi": 200},
    }
    at_the_end = CheckpointingControl(
        checkpoint_at_conv=True,
        naming_format="nudging_completed_%(date)_%(time).tar.gz",
        checkpointing_dir="nudging_example_outputs",
    )

    manager = GloMPOManager.new_manager(
        task=task,
        bounds=task.bounds,
        opt_selector=selector,
        working_dir="nudging_example_outputs",
        overwrite_existing=True,
        max_jobs=10,
        backend="processes",
        convergence_checker=checker,
        x0_generator=RandomGenerator(task.bounds),
        killing_conditions=hunters,
        share_best_solutions=True,  # the best point goes to every optimizer
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
