"""Benchmark evaluation throughput on a Dask LocalCluster against the manager's own threads.

Run ``python scripts/bench_dask.py`` (a few minutes) or ``--quick`` (under a minute). It prints
a table and, last, one JSON line with every figure. Needs ``pip install -e ".[dask]"``.

The objective costs ``--cost`` seconds (1 ms), in two kinds:

* ``sleep`` waits (like a call to an external program): threads run it in parallel;
* ``spin``  computes in Python (a fixed amount of work), holding the GIL: threads take turns.

For each kind, a whole manager run of ``--evaluations`` evaluations (uniform random search, so
the optimizer costs nothing) is timed on

* ``threads``   ``executor="threads"``, ``max_jobs`` = the number of workers;
* ``dask``      ``Client.get_executor(pure=False)`` of a LocalCluster with that many
  single-threaded worker processes, the same ``max_jobs``;
* ``dask x4``   the same cluster with four evaluations in flight per worker, which hides the
  round trip to the scheduler behind queued work.

``bare`` rows time the executor alone (submit ``max_jobs`` calls, submit one more as each ends),
so the manager's own cost per evaluation is the difference. Figures are medians over
``--repeats`` rounds, each running every case once (interleaved, so a change of load on a shared
machine hits every case alike); ``ratio`` is evaluations per second relative to ``threads``.
Without Dask the script says so and prints ``{"bench": "dask", "skipped": ...}``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer


class SleepTask:
    """Sum of squares after waiting ``cost`` seconds (releases the GIL)."""

    def __init__(self, cost: float) -> None:
        self.cost = cost

    def __call__(self, x: np.ndarray) -> float:
        time.sleep(self.cost)
        return float(np.sum(np.asarray(x) ** 2))


class SpinTask(SleepTask):
    """Sum of squares after ``cost`` seconds of pure-Python work (holds the GIL).

    The work is a fixed number of loop iterations, measured once on this machine, so two calls
    sharing the GIL take twice as long (a busy wait on the clock would not).
    """

    def __init__(self, cost: float) -> None:
        super().__init__(cost)
        self.loops = 10_000
        elapsed = 0.0
        while elapsed < 0.05:  # grow the sample until it is long enough to time
            self.loops *= 2
            start = time.perf_counter()
            self._work()
            elapsed = time.perf_counter() - start
        self.loops = max(1, int(self.loops * cost / elapsed))

    def _work(self) -> int:
        total = 0
        for i in range(self.loops):
            total += i * i
        return total

    def __call__(self, x: np.ndarray) -> float:
        self._work()
        return float(np.sum(np.asarray(x) ** 2))


TASKS: dict[str, type[SleepTask]] = {"sleep": SleepTask, "spin": SpinTask}


def run_manager(task: Any, executor: Any, max_jobs: int, evaluations: int) -> float:
    """Time one manager run of ``evaluations`` evaluations; return evaluations per second."""
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        manager = GloMPOManager.new_manager(
            task=task,
            bounds=[(-5.0, 5.0)] * 4,
            opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 10**9})),
            working_dir=Path(tmp),
            executor=executor,
            max_jobs=max_jobs,
            seed=0,
            convergence_checker=MaxFuncCalls(evaluations),
        )
        start = time.perf_counter()
        result = manager.start_manager()
        seconds = time.perf_counter() - start
    assert result.stats["f_counter"] == evaluations
    return evaluations / seconds


def run_bare(task: Any, executor: cf.Executor, max_jobs: int, evaluations: int) -> float:
    """Keep ``max_jobs`` calls of ``task`` in flight on ``executor``; return calls per second."""
    x = np.zeros(4)
    start = time.perf_counter()
    running = {executor.submit(task, x) for _ in range(min(max_jobs, evaluations))}
    submitted, done = len(running), 0
    while running:
        finished, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
        for future in finished:
            future.result()
            done += 1
            if submitted < evaluations:
                running.add(executor.submit(task, x))
                submitted += 1
    return done / (time.perf_counter() - start)


def interleaved_medians(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median rate of each case over ``repeats`` rounds; each round runs every case once, so a
    change of load on a shared machine hits every case alike."""
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, measure in cases.items():
            rates[name].append(measure())
    return {name: statistics.median(values) for name, values in rates.items()}


def bench(
    evaluations: int, repeats: int, workers: int, cost: float
) -> tuple[dict[str, float], list[str]]:
    """Run every case; return the figures and the table's rows."""
    from distributed import Client, LocalCluster  # checked by main()

    figures: dict[str, float] = {}
    rows: list[str] = []
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    figures["cluster_start_s"] = time.perf_counter() - start
    try:
        # pure=False: every call is a new task (no hashing of the arguments, no deduplication).
        dask_executor = client.get_executor(pure=False)
        run_bare(SleepTask(0.0), dask_executor, 4 * workers, 200)  # warm the workers up
        for kind, task_type in TASKS.items():
            task = task_type(cost)
            cases = {
                "threads": lambda t=task: run_manager(t, "threads", workers, evaluations),
                "dask": lambda t=task: run_manager(t, dask_executor, workers, evaluations),
                "dask x4": lambda t=task: run_manager(t, dask_executor, 4 * workers, evaluations),
            }
            with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                bare = {
                    "bare threads": lambda t=task, p=pool: run_bare(t, p, workers, evaluations),
                    "bare dask x4": lambda t=task: run_bare(
                        t, dask_executor, 4 * workers, evaluations
                    ),
                }
                rates = interleaved_medians({**cases, **bare}, repeats)
            reference = rates["threads"]
            for name, rate in rates.items():
                key = f"{kind}_{name.replace(' ', '_')}"
                figures[f"{key}_evals_per_s"] = rate
                figures[f"{key}_ratio"] = rate / reference
                rows.append(
                    f"{kind:<7}{name:<14}{rate:>10.0f}{1e3 / rate:>10.3f}{rate / reference:>8.2f}x"
                )
    finally:
        client.close()
        cluster.close()
    return figures, rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer evaluations and repeats")
    parser.add_argument("--evaluations", type=int, default=None, help="per run (1000)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (5)")
    parser.add_argument("--workers", type=int, default=2, help="workers and threads (2)")
    parser.add_argument("--cost", type=float, default=0.001, help="seconds per call (0.001)")
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print('Dask is not installed (pip install -e ".[dask]"): nothing to measure.')
        print(json.dumps({"bench": "dask", "skipped": "dask is not installed"}))
        return 0
    evaluations = args.evaluations or (300 if args.quick else 1000)
    repeats = args.repeats or (3 if args.quick else 5)
    figures, rows = bench(evaluations, repeats, args.workers, args.cost)
    print(
        f"{evaluations} evaluations of a {args.cost * 1e3:g} ms objective, {args.workers} workers, "
        f"median of {repeats} (cluster started in {figures['cluster_start_s']:.2f} s; "
        f"{os.cpu_count()} CPUs)"
    )
    print(f"{'kind':<7}{'executor':<14}{'evals/s':>10}{'ms/eval':>10}{'ratio':>9}")
    print("\n".join(rows))
    out = {"bench": "dask", "evaluations": evaluations, "repeats": repeats, **figures}
    out.update(workers=args.workers, cost_s=args.cost, cpus=os.cpu_count())
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
