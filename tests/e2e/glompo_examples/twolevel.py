"""GloMPO's *twolevel* example with ``glompo`` replaced by ``glompo_scope_chkpt``.

Two levels of search on a cluster of 10 Lennard-Jones atoms: basin-hopping chooses where each
local search starts (``BasinHoppingGenerator``), and scipy's BFGS, given the exact gradient,
descends from there (``ScipyOptimizeWrapper``). The energy is shifted so that the global
minimum is 1 and the run stops there, or after its budget. Environment as in ``customized.py``
(default budget 4000).
"""

import logging
import os
import sys

from glompo_scope_chkpt.benchmark_fncs import LennardJones
from glompo_scope_chkpt.convergence import MaxFuncCalls, TargetCost
from glompo_scope_chkpt.core.manager import GloMPOManager
from glompo_scope_chkpt.generators.basinhopping import BasinHoppingGenerator
from glompo_scope_chkpt.hunters import EvaluationsUnmoving
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers.scipy import ScipyOptimizeWrapper


class ShiftedLennardJones(LennardJones):
    """The cluster's energy raised so that its known global minimum (-28.422532) becomes 1."""

    def __call__(self, *args, **kwargs):
        return super().__call__(*args, **kwargs) + 28.422532 + 1


if __name__ == "__main__":
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    progress = logging.getLogger("glompo.manager")
    progress.addHandler(handler)
    progress.setLevel("INFO")

    task = ShiftedLennardJones(
        atoms=10, dims=3, delay=float(os.environ.get("GLOMPO_EXAMPLE_DELAY", "0"))
    )
    max_calls = int(os.environ.get("GLOMPO_EXAMPLE_MAX_CALLS", "4000"))
    checker = MaxFuncCalls(max_calls) | TargetCost(1)

    # Local level: BFGS with the analytic gradient; global level: basin-hopping starts.
    selector = CycleSelector(
        (ScipyOptimizeWrapper, {"workers": 1, "method": "BFGS"}, {"jac": task.jacobian})
    )

    manager = GloMPOManager.new_manager(
        task=task,
        bounds=task.bounds,
        opt_selector=selector,
        working_dir="twolevel_example_outputs",
        overwrite_existing=True,
        max_jobs=4,
        backend="processes",
        convergence_checker=checker,
        x0_generator=BasinHoppingGenerator(),
        killing_conditions=EvaluationsUnmoving(100, 0.01),
        share_best_solutions=False,
        hunt_frequency=1,
        status_frequency=60,
        summary_files=3,
        visualisation=True,
        split_printstreams=True,
    )
    result = manager.start_manager()

    print("Best point found:")
    print(result)
