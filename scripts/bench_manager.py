"""Benchmark the manager's loop: its overhead per evaluation and its parallel speed-up.

1. Overhead per evaluation (target <= 10 us). A 10-D sphere ``x @ x`` (about 1 us) is minimised
   for ``--evals`` evaluations by ``GloMPOManager`` with the serial executor, one optimizer at a
   time (``max_jobs=1``, ``max_optimizers=1``, no log, no scope, no checkpoints), against a bare
   ``x = opt.ask(); opt.tell(x, f(x))`` loop on the same optimizer class. An optimizer that
   converges (CMA-ES does on the sphere) is replaced by a new one in both loops. Overhead is
   ``(manager - bare) / evals``, the median of the per-repeat differences; pycma's import (seconds,
   it imports scipy) happens before any timing. One more row runs GloMPO's own setting for the
   figure it reports: threads executor, ``max_jobs=2``, 3 optimizers, 10-D Rastrigin. Another row
   ends the optimizer every 50 evaluations (``RandomOptimizer(max_evals=50)``, restarted in both
   loops), so the manager's state holds many ended optimizers: the cost of scanning them shows.
2. Parallel efficiency (target >= 85 % of ideal). A 1 ms objective evaluated ``--par-evals``
   times with ``max_jobs=2`` (2 RandomOptimizers) by the ``threads`` and ``processes`` executors,
   against the serial executor's time halved (the ideal on 2 cores):
   ``efficiency = serial / (2 * parallel)``. The 1 ms objective is ``time.sleep(0.001)`` (it
   releases the GIL and the core, like a simulation run elsewhere); ``spin`` is a pure-Python busy
   loop of 1 ms that holds the GIL and a core (threads cannot scale it; processes can, but share
   the 2 cores with the manager). The ``threads`` and ``processes`` rows use the pools the
   manager builds (``max_jobs`` workers plus one evaluation queued) and include starting them;
   the ``processes (your pool)`` row passes an already started ``ProcessPoolExecutor``, which
   gets exactly ``max_jobs`` submissions (a user's pool may have more workers). The floors
   drive the same pools with no manager: 2 evaluations in flight, and 3 in flight on 2 workers
   (the pool's hand-off latency is hidden when a next evaluation waits in its queue).

``--profile`` profiles the serial workload and a threads run (pyinstrument if installed, else
cProfile) and prints the top entries. Prints a table and ends with one JSON line of its figures.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import (
    bare_executor,
    emit,
    interleaved,
    median,
    parser,
    sleep_1ms,
    spin_1ms,
    table,
)

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer

N_PARAMS = 10
BOUNDS = [(-5.12, 5.12)] * N_PARAMS
TARGET_OVERHEAD_US = 10.0
TARGET_EFFICIENCY = 0.85
GLOMPO_OVERHEAD_US = {"random": 316.0, "cma": 404.0}  # shared/notes/glompo-measured.md

PAR_SIDES = {
    "threads": "threads",
    "processes": "processes",
    "processes_warm": "processes (your pool)",
    "bare_threads": "  floor: bare thread pool loop",
    "bare_processes_warm": "  floor: bare warm process pool loop",
    "bare_processes_warm_3": "  same, 3 in flight on 2 workers",
}

OPTIMIZERS: dict[str, tuple[type, dict[str, Any]]] = {
    "random": (RandomOptimizer, {"max_evals": 10**9}),
    "cma": (CMAOptimizer, {}),
}
RESTARTS = (RandomOptimizer, {"max_evals": 50})  # an optimizer ends every 50 evaluations


# --------------------------------------------------------------------------------- objectives
def sphere(x: np.ndarray) -> float:
    """The cheap objective: about 1 us."""
    return float(x @ x)


def rastrigin(x: np.ndarray) -> float:
    """10-D Rastrigin, GloMPO's figure's objective (about 5 us)."""
    return float(10 * len(x) + np.sum(x * x - 10 * np.cos(2 * np.pi * x)))


# ------------------------------------------------------------------------------------- loops
def bare_loop(cls: type, kwargs: dict[str, Any], f: Callable, evals: int) -> float:
    """Seconds of ``evals`` ask/tell evaluations on ``cls``, restarting it when it converges."""
    rng = np.random.default_rng(0)
    low, high = np.array(BOUNDS).T
    start = time.perf_counter()
    opt, done = None, 0
    while done < evals:
        if opt is None or opt.stop_reason() is not None:
            opt = cls(BOUNDS, rng.uniform(low, high), seed=int(rng.integers(2**63 - 1)), **kwargs)
        x = opt.ask()
        opt.tell(x, f(x))
        done += 1
    return time.perf_counter() - start


def make_manager(
    folder: Path,
    cls: type,
    kwargs: dict[str, Any],
    f: Callable,
    evals: int,
    executor: Any = "serial",
    max_jobs: int = 1,
    max_optimizers: int = 1,
) -> GloMPOManager:
    """A manager with no log, scope or checkpoints, in a fresh sub-folder of ``folder``."""
    work = Path(tempfile.mkdtemp(dir=folder))
    return GloMPOManager.new_manager(
        task=f,
        bounds=BOUNDS,
        opt_selector=CycleSelector((cls, kwargs)),
        working_dir=work,
        executor=executor,
        max_jobs=max_jobs,
        max_optimizers=max_optimizers,
        seed=0,
        convergence_checker=MaxFuncCalls(evals),
    )


def manager_run(
    folder: Path, cls: type, kwargs: dict[str, Any], f: Callable, evals: int, **options: Any
) -> float:
    """Seconds of ``start_manager`` (setting the manager up is not timed)."""
    manager = make_manager(folder, cls, kwargs, f, evals, **options)
    start = time.perf_counter()
    result = manager.start_manager()
    elapsed = time.perf_counter() - start
    if result.stats["f_counter"] != evals:
        raise RuntimeError(f"The run did {result.stats['f_counter']} of {evals} evaluations.")
    return elapsed


def bare_threads(f: Callable, evals: int) -> float:
    """:func:`bare_executor` on a new 2-thread pool (its start is timed, as the manager's is)."""
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        bare_executor(pool, f, evals)
    return time.perf_counter() - start


# -------------------------------------------------------------------------------- figures
def bench_overhead(folder: Path, evals: int, repeats: int) -> dict[str, float]:
    """Manager against bare ask/tell loop, serial executor, cheap objective."""
    out: dict[str, float] = {}
    for name, (cls, kwargs) in {**OPTIMIZERS, "random50": RESTARTS}.items():
        bare_loop(cls, kwargs, sphere, 200)  # imports pycma, warms caches
        samples = interleaved(
            {
                "bare": lambda c=cls, k=kwargs: bare_loop(c, k, sphere, evals),
                "manager": lambda c=cls, k=kwargs: manager_run(folder, c, k, sphere, evals),
            },
            repeats,
        )
        diffs = [
            (m - b) / evals * 1e6 for m, b in zip(samples["manager"], samples["bare"], strict=True)
        ]
        bare, manager = median(samples["bare"]), median(samples["manager"])
        out[f"{name}_bare_us"] = bare / evals * 1e6
        out[f"{name}_manager_us"] = manager / evals * 1e6
        out[f"{name}_overhead_us"] = median(diffs)
        out[f"{name}_overhead_spread_us"] = max(diffs) - min(diffs)
        out[f"{name}_ratio"] = manager / bare
    return out


def bench_glompo_setting(folder: Path, evals: int, repeats: int) -> dict[str, float]:
    """GloMPO's figure's setting: threads, max_jobs=2, 3 optimizers, 10-D Rastrigin."""
    out: dict[str, float] = {}
    for name, (cls, kwargs) in OPTIMIZERS.items():
        samples = interleaved(
            {
                "bare": lambda c=cls, k=kwargs: bare_loop(c, k, rastrigin, evals),
                "threads": lambda c=cls, k=kwargs: manager_run(
                    folder, c, k, rastrigin, evals, executor="threads", max_jobs=2,
                    max_optimizers=3,
                ),
            },
            repeats,
        )  # fmt: skip
        diffs = [
            (m - b) / evals * 1e6 for m, b in zip(samples["threads"], samples["bare"], strict=True)
        ]
        out[f"{name}_threads3_us"] = median(samples["threads"]) / evals * 1e6
        out[f"{name}_threads3_overhead_us"] = median(diffs)
    return out


@contextlib.contextmanager
def warm_process_pool(workers: int) -> Iterator[cf.ProcessPoolExecutor]:
    """A process pool whose workers are started before it is used."""
    pool = cf.ProcessPoolExecutor(max_workers=workers)
    try:
        list(pool.map(time.sleep, [0.05] * workers))
        yield pool
    finally:
        pool.shutdown(wait=True)


def bench_parallel(folder: Path, evals: int, repeats: int, kinds: tuple[str, ...]) -> dict:
    """Threads and processes (max_jobs=2) against the serial time halved."""
    cls, kwargs = OPTIMIZERS["random"]
    out: dict[str, float] = {}
    with warm_process_pool(2) as pool:
        for kind in kinds:
            f = sleep_1ms if kind == "sleep" else spin_1ms

            def run(executor: Any, f: Callable = f) -> float:
                jobs = 1 if executor == "serial" else 2
                return manager_run(
                    folder, cls, kwargs, f, evals, executor=executor, max_jobs=jobs,
                    max_optimizers=2,
                )  # fmt: skip

            sides = {
                "serial": lambda run=run: run("serial"),
                "threads": lambda run=run: run("threads"),
                "processes": lambda run=run: run("processes"),
                "processes_warm": lambda run=run: run(pool),
                "bare_threads": lambda f=f: bare_threads(f, evals),
                "bare_processes_warm": lambda f=f: bare_executor(pool, f, evals),
                "bare_processes_warm_3": lambda f=f: bare_executor(pool, f, evals, jobs=3),
            }
            samples = interleaved(sides, repeats)
            serial = median(samples["serial"])
            out[f"{kind}_serial_s"] = serial
            out[f"{kind}_serial_ms_per_eval"] = serial / evals * 1e3
            for side in PAR_SIDES:
                seconds = median(samples[side])
                out[f"{kind}_{side}_s"] = seconds
                out[f"{kind}_{side}_efficiency"] = serial / (2 * seconds)
    return out


# -------------------------------------------------------------------------------- profiling
def profile(folder: Path, evals: int) -> None:
    """Profile the serial workload (random and CMA-ES) and a threads run; print the top."""
    runs = {
        "serial, RandomOptimizer, sphere": (OPTIMIZERS["random"], sphere, "serial", 1, 1),
        "serial, CMAOptimizer, sphere": (OPTIMIZERS["cma"], sphere, "serial", 1, 1),
        "threads, max_jobs=2, RandomOptimizer, sphere": (
            OPTIMIZERS["random"], sphere, "threads", 2, 2
        ),
        "threads, max_jobs=2, RandomOptimizer, 1 ms sleep": (
            OPTIMIZERS["random"], sleep_1ms, "threads", 2, 2
        ),
    }  # fmt: skip
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    for title, ((cls, kwargs), f, executor, jobs, opts) in runs.items():
        n = evals if f is not sleep_1ms else min(evals, 3000)
        manager = make_manager(folder, cls, kwargs, f, n, executor, jobs, opts)
        print(f"\n=== profile: {title}, {n:,} evaluations ===")
        if Profiler is not None:
            profiler = Profiler(interval=0.0001)
            profiler.start()
            manager.start_manager()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(manager.start_manager)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)


# ------------------------------------------------------------------------------------- report
def report(fig: dict[str, Any]) -> None:
    evals = fig["evals"]
    rows = []
    labels = {
        "random": "random: serial, max_jobs=1",
        "cma": "cma: serial, max_jobs=1",
        "random50": f"random, ends every 50 evals ({evals // 50} started)",
    }
    for name, label in labels.items():
        over = fig[f"{name}_overhead_us"]
        rows.append(
            (
                label,
                fig[f"{name}_bare_us"],
                fig[f"{name}_manager_us"],
                over,
                fig[f"{name}_ratio"],
                "ok" if over <= TARGET_OVERHEAD_US else f"> {TARGET_OVERHEAD_US:g}",
            )
        )
    for name in OPTIMIZERS:
        if f"{name}_threads3_us" in fig:
            rows.append(
                (
                    f"{name}: threads, 2 jobs, 3 opts, Rastrigin",
                    math.nan,
                    fig[f"{name}_threads3_us"],
                    fig[f"{name}_threads3_overhead_us"],
                    math.nan,
                    f"GloMPO {GLOMPO_OVERHEAD_US[name]:g}",
                )
            )
    print(
        table(
            ("workload", "bare us/eval", "manager us/eval", "overhead us", "ratio", "target"),
            rows,
            title=f"1. manager overhead per evaluation, {evals:,} evaluations of a 10-D sphere "
            f"(Rastrigin where said), medians of {fig['repeats']}",
        )
    )
    print()
    rows = []
    for kind in fig["par_kinds"]:
        serial = fig[f"{kind}_serial_s"]
        rows.append((f"{kind}: serial", serial, serial / 2, math.nan, ""))
        for side, label in PAR_SIDES.items():
            eff = fig[f"{kind}_{side}_efficiency"]
            verdict = "ok" if eff >= TARGET_EFFICIENCY else f"< {TARGET_EFFICIENCY:.0%}"
            if side.startswith("bare"):
                verdict = "floor"
            rows.append((f"{kind}: {label}", fig[f"{kind}_{side}_s"], serial / 2, eff, verdict))
    print(
        table(
            ("1 ms objective, max_jobs=2", "seconds", "ideal s", "of ideal", "target"),
            rows,
            title=f"2. parallel efficiency, {fig['par_evals']:,} evaluations, "
            f"medians of {fig['par_repeats']} (sleep = time.sleep(0.001); spin = busy loop)",
            digits=3,
        )
    )


def main(argv: list[str] | None = None) -> int:
    cli = parser(__doc__.splitlines()[0], "about 30 s (the full run takes several minutes)")
    cli.add_argument("--evals", type=int, default=None, help="evaluations per overhead run")
    cli.add_argument("--par-evals", type=int, default=None, help="evaluations per parallel run")
    cli.add_argument("--no-spin", action="store_true", help="skip the busy-loop objective")
    cli.add_argument("--spin", action="store_true", help="run the busy loop with --quick too")
    cli.add_argument("--profile", action="store_true", help="profile instead of benchmarking")
    args = cli.parse_args(argv)
    evals = args.evals or (10_000 if args.quick else 50_000)
    par_evals = args.par_evals or (500 if args.quick else 2_000)
    repeats = args.repeats or 5
    par_repeats = args.repeats or (3 if args.quick else 5)
    spin = args.spin or not (args.no_spin or args.quick)
    kinds = ("sleep", "spin") if spin else ("sleep",)
    logging.disable(logging.INFO)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="bench_manager-") as tmp:
        folder = Path(tmp)
        if args.profile:
            bare_loop(CMAOptimizer, {}, sphere, 100)
            profile(folder, evals)
            return 0
        fig: dict[str, Any] = {"evals": evals, "repeats": repeats}
        fig.update(bench_overhead(folder, evals, repeats))
        fig.update(bench_glompo_setting(folder, max(evals // 2, 5000), repeats))
        fig.update({"par_evals": par_evals, "par_repeats": par_repeats, "par_kinds": list(kinds)})
        fig.update(bench_parallel(folder, par_evals, par_repeats, kinds))
    fig["target_overhead_us"] = TARGET_OVERHEAD_US
    fig["target_efficiency"] = TARGET_EFFICIENCY
    report(fig)
    emit("manager", fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
