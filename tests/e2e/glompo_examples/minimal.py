"""GloMPO's *minimal* example with ``glompo`` replaced by ``glompo_scope_chkpt``: every default.

CMA-ES searches Michalewicz's function, whose narrow valleys trap a single local search, so
several managed starts do better. The manager gets only the task, its bounds and a selector.
``GLOMPO_EXAMPLE_DELAY`` (seconds per evaluation, default 0) slows the task down for tests.
"""

import os

from glompo_scope_chkpt.benchmark_fncs import Michalewicz
from glompo_scope_chkpt.core.manager import GloMPOManager
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers.cmawrapper import CMAOptimizer

if __name__ == "__main__":
    task = Michalewicz(dims=5, delay=float(os.environ.get("GLOMPO_EXAMPLE_DELAY", "0")))

    # A selector spec: (optimizer class, keyword arguments at creation, arguments of the run).
    # CMA-ES starts with a step of half the bounds' width; 'workers' is GloMPO's parallelism
    # inside one optimizer (ignored here, with a warning: evaluations run on the executor).
    low, high = task.bounds[0]
    spec = (CMAOptimizer, {"workers": 1, "popsize": 6}, {"sigma0": (high - low) / 2})
    selector = CycleSelector(spec)

    # Everything else keeps its default: the run ends once the first optimizer converges.
    manager = GloMPOManager.new_manager(task=task, bounds=task.bounds, opt_selector=selector)
    result = manager.start_manager()

    print(f"Michalewicz's global minimum: {task.min_fx:.3E}")
    print("Best point found:")
    print(result)
