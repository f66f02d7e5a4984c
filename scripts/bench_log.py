"""Benchmark the HDF5 log: cost of logging every evaluation, and cost of a rollback on resume.

Run ``python scripts/bench_log.py`` (about a minute) or ``--quick`` (under ten seconds). It prints a
table and, last, one JSON line with every figure.

Appending compares, on the same rows (10 parameters, 4 optimizers taking turns, a cheap
objective ``fx = x @ x``):

* ``bare``      the loop producing the rows, no logging;
* ``log``       the same loop calling :meth:`OptimizationLog.put_iteration`, then ``close``;
* ``h5py``      the same loop buffering rows itself and appending them to h5py datasets in
  chunks of 1024 rows (a hand-written baseline);
* ``h5py/row``  one h5py append per row (run on fewer rows; per-row cost shown).

Rollback times :meth:`OptimizationLog.resume` of a log of ``--rollback-rows`` rows to 10 % and to
90 % of its rows (plus a resume with nothing to roll back). Moving rows aside costs time in
proportion to the rows moved; the rows kept cost nothing, so keeping 90 % is the cheaper case.

The manager comparison (:func:`bench_manager_run`) runs one seeded optimization (10-D sum of
squares, serial executor, ``RandomOptimizer`` of 5,000 evaluations each, ``MaxFuncCalls``)
with ``summary_files=0`` (no output), ``0 + log`` (the HDF5 log alone), ``2`` (YAML summary and
trajectory plots, no log) and ``3`` (all three), interleaved, and reports medians of the time
of ``start_manager()``. ``3 vs 0`` is the cost of turning every output on; ``log alone vs 0`` is
the cost of the log.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.log.writer import LOG_FILENAME, OptimizationLog, row_dtype
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer

N_PARAMS = 10
N_OPTS = 4
CHUNK = 1024
# manager side -> (summary_files, log opened by hand though summary_files < 3)
MANAGER_SIDES = {
    "none": (0, False),
    "logonly": (0, True),
    "summary2": (2, False),
    "log": (3, False),
}


def _points(rows: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-5, 5, size=(min(rows, 4096), N_PARAMS))


def run_bare(rows: int, folder: Path) -> None:
    """Produce the rows without logging them."""
    points, best = _points(rows), np.inf
    for call in range(1, rows + 1):
        x = points[call % len(points)]
        fx = float(x @ x)
        best = min(best, fx)


def run_log(rows: int, folder: Path) -> None:
    """Produce the rows and log each through :class:`OptimizationLog`."""
    points, best = _points(rows), np.inf
    log = OptimizationLog.create(folder / LOG_FILENAME, "bench", N_PARAMS, {"bench": True})
    for opt_id in range(N_OPTS):
        log.add_optimizer(opt_id, "Random", 0, {})
    for call in range(1, rows + 1):
        x = points[call % len(points)]
        fx = float(x @ x)
        best = min(best, fx)
        log.put_iteration(call % N_OPTS, call, x, fx)
    log.close()


def run_h5py_chunks(rows: int, folder: Path) -> None:
    """Produce the rows, buffer them by hand and append them with h5py in chunks."""
    points, best, dtype = _points(rows), np.inf, row_dtype(N_PARAMS)
    with h5py.File(folder / "raw.h5", "w") as f:
        sets = [
            f.create_dataset(f"o{i}", (0,), dtype, maxshape=(None,), chunks=(CHUNK,))
            for i in range(N_OPTS)
        ]
        buffers = [np.empty(CHUNK, dtype) for _ in range(N_OPTS)]
        filled = [0] * N_OPTS

        def spill(i: int) -> None:
            size = sets[i].shape[0]
            sets[i].resize((size + filled[i],))
            sets[i][size:] = buffers[i][: filled[i]]
            filled[i] = 0

        for call in range(1, rows + 1):
            x = points[call % len(points)]
            fx = float(x @ x)
            best = min(best, fx)
            i = call % N_OPTS
            buffers[i][filled[i]] = (call, x, fx)
            filled[i] += 1
            if filled[i] == CHUNK:
                spill(i)
        for i in range(N_OPTS):
            spill(i)


def run_h5py_per_row(rows: int, folder: Path) -> None:
    """Produce the rows and append each one to h5py as it comes (no buffering)."""
    points, dtype = _points(rows), row_dtype(N_PARAMS)
    with h5py.File(folder / "per_row.h5", "w") as f:
        sets = [
            f.create_dataset(f"o{i}", (0,), dtype, maxshape=(None,), chunks=(CHUNK,))
            for i in range(N_OPTS)
        ]
        for call in range(1, rows + 1):
            x = points[call % len(points)]
            ds = sets[call % N_OPTS]
            size = ds.shape[0]
            ds.resize((size + 1,))
            ds[size] = (call, x, float(x @ x))


def median_seconds(fn: Callable[[int, Path], None], rows: int, repeats: int) -> float:
    """Median wall time of ``fn(rows, folder)`` over ``repeats`` runs, each in a fresh folder."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            fn(rows, Path(tmp))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_append(rows: int, repeats: int) -> dict[str, float]:
    """Time the four append variants; return seconds and microseconds per row."""
    per_row_rows = max(1000, rows // 20)
    secs = {
        "bare": median_seconds(run_bare, rows, repeats),
        "log": median_seconds(run_log, rows, repeats),
        "h5py": median_seconds(run_h5py_chunks, rows, repeats),
    }
    per_row = median_seconds(run_h5py_per_row, per_row_rows, repeats)
    out = {f"{name}_s": value for name, value in secs.items()}
    out.update({f"{name}_us_per_row": value / rows * 1e6 for name, value in secs.items()})
    out["h5py_per_row_us_per_row"] = per_row / per_row_rows * 1e6
    out["log_added_us_per_row"] = out["log_us_per_row"] - out["bare_us_per_row"]
    out["h5py_added_us_per_row"] = out["h5py_us_per_row"] - out["bare_us_per_row"]
    return out


def build_log(path: Path, rows: int) -> float:
    """Write a log of ``rows`` rows (calls 1..rows over 4 optimizers); return the seconds taken."""
    start = time.perf_counter()
    block = np.random.default_rng(1).uniform(-5, 5, size=(4096, N_PARAMS))
    with OptimizationLog.create(path, "bench", N_PARAMS, {}, buffer_rows=8192) as log:
        for opt_id in range(N_OPTS):
            log.add_optimizer(opt_id, "Random", 0, {})
        for call in range(1, rows + 1):
            log.put_iteration(call % N_OPTS, call, block[call % 4096], float(call))
    return time.perf_counter() - start


def time_resume(source: Path, work: Path, f_counter: int, repeats: int) -> float:
    """Median seconds of resuming a fresh copy of ``source`` at ``f_counter`` (copy not timed)."""
    times = []
    for _ in range(repeats):
        for old in work.glob("*.h5"):
            old.unlink()
        shutil.copyfile(source, work / LOG_FILENAME)
        with open(work / LOG_FILENAME, "rb+") as copy:  # the copy's own write-back is not timed
            os.fsync(copy.fileno())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            OptimizationLog.resume(work / LOG_FILENAME, "bench", N_PARAMS, f_counter, "b").close()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_rollback(rows: int, repeats: int) -> dict[str, float]:
    """Resume a ``rows``-row log keeping 10 %, 90 % and 100 % of it.

    ``small_keep50`` moves as many rows as ``keep90`` (10 % of ``rows``) out of a log five times
    smaller, so it keeps 9x fewer rows: equal times show the rows kept cost nothing.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source, small, work = Path(tmp) / "source.h5", Path(tmp) / "small.h5", Path(tmp) / "w"
        work.mkdir()
        out = {"rollback_rows": rows, "build_s": build_log(source, rows)}
        out["log_mb"] = source.stat().st_size / 1e6
        for label, fraction in (("keep10", 0.1), ("keep90", 0.9), ("keep100", 1.0)):
            out[f"rollback_{label}_s"] = time_resume(source, work, int(rows * fraction), repeats)
        build_log(small, rows // 5)
        out["rollback_small_keep50_s"] = time_resume(small, work, rows // 10, repeats)
    out["rollback_keep10_vs_keep90"] = out["rollback_keep10_s"] / out["rollback_keep90_s"]
    return out


def sphere(x: np.ndarray) -> float:
    """The objective of the manager runs: a sum of squares (module level, so picklable)."""
    return float(x @ x)


def run_manager(
    summary_files: int, log_only: bool, evals: int, folder: Path
) -> tuple[float, float]:
    """Run the seeded optimization in ``folder``; return (seconds of ``start_manager``, best fx).

    With ``log_only`` the log is opened by hand and handed to the manager (through the attribute
    :meth:`GloMPOManager.load_checkpoint` sets), so a run with ``summary_files=0`` writes the
    HDF5 log and nothing else; opening it is timed, as the manager's own opening would be.
    """
    manager = GloMPOManager.new_manager(
        task=sphere,
        bounds=[(-5, 5)] * N_PARAMS,
        opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 5000})),
        working_dir=folder,
        executor="serial",
        seed=0,
        convergence_checker=MaxFuncCalls(evals),
        summary_files=summary_files,
    )
    start = time.perf_counter()
    if log_only:
        manager._log = OptimizationLog.create(
            folder / LOG_FILENAME, manager.state.key, N_PARAMS, {"bench": True}
        )
    result = manager.start_manager()
    seconds = time.perf_counter() - start
    if result.stats["f_counter"] != evals:
        raise RuntimeError(f"The run made {result.stats['f_counter']} evaluations, not {evals}.")
    if (summary_files >= 3 or log_only) != (folder / LOG_FILENAME).exists():
        raise RuntimeError(f"summary_files={summary_files}, log_only={log_only}: log not as set.")
    return seconds, result.fx


def bench_manager_run(evals: int, repeats: int) -> dict[str, float]:
    """Time a whole manager run for each of :data:`MANAGER_SIDES`, interleaved; medians.

    A short run with every output first loads what the outputs import (matplotlib, yaml), so
    that no side pays for it. Every side must find the same optimum (same seed).

    Returns
    -------
    dict
        ``manager_<side>_s`` and ``manager_<side>_us_per_eval`` for each side;
        ``manager_log_ratio`` (``summary_files`` 3 vs 0) and ``manager_log_overhead_pct`` (the
        same in per cent); ``manager_logonly_ratio`` and ``manager_logonly_overhead_pct`` (the
        log alone vs 0); ``manager_log_added_us_per_eval`` (the log's cost per evaluation).
    """
    with tempfile.TemporaryDirectory() as tmp:
        run_manager(3, False, min(evals, 1000), Path(tmp))
    samples: dict[str, list[float]] = {label: [] for label in MANAGER_SIDES}
    optima = set()
    for _ in range(repeats):
        for label, (summary_files, log_only) in MANAGER_SIDES.items():
            with tempfile.TemporaryDirectory() as tmp:
                seconds, fx = run_manager(summary_files, log_only, evals, Path(tmp))
            samples[label].append(seconds)
            optima.add(fx)
    if len(optima) != 1:
        raise RuntimeError(f"The runs found different optima {sorted(optima)}: not reproducible.")
    out: dict[str, float] = {"manager_evals": evals}
    for label, values in samples.items():
        out[f"manager_{label}_s"] = statistics.median(values)
        out[f"manager_{label}_us_per_eval"] = out[f"manager_{label}_s"] / evals * 1e6
    none = out["manager_nolog_s"] = out["manager_none_s"]
    for label in ("log", "logonly"):
        out[f"manager_{label}_ratio"] = out[f"manager_{label}_s"] / none
        out[f"manager_{label}_overhead_pct"] = (out[f"manager_{label}_ratio"] - 1) * 100
    out["manager_log_added_us_per_eval"] = (
        out["manager_logonly_us_per_eval"] - out["manager_none_us_per_eval"]
    )
    return out


def _table(
    append: dict[str, float], rollback: dict[str, float], manager: dict[str, float], rows: int
) -> str:
    bare = append["bare_us_per_row"]
    lines = [
        f"append {rows:,} rows (n_params={N_PARAMS}, {N_OPTS} optimizers), median",
        f"{'variant':<12}{'us/row':>10}{'added':>10}{'vs bare':>10}",
    ]
    for name in ("bare", "log", "h5py", "h5py_per_row"):
        us = append[f"{name}_us_per_row"]
        lines.append(f"{name:<12}{us:>10.2f}{us - bare:>10.2f}{us / bare:>9.2f}x")
    lines.append(
        f"rollback of a {rollback['rollback_rows']:,}-row log "
        f"({rollback['log_mb']:.0f} MB, built in {rollback['build_s']:.2f} s)"
    )
    n = rollback["rollback_rows"]
    cases = (("keep10", 0.1 * n, 0.9 * n), ("keep90", 0.9 * n, 0.1 * n), ("keep100", n, 0))
    lines.append(f"  {'case':<14}{'kept':>10}{'moved':>10}{'seconds':>10}")
    for label, kept, moved in (*cases, ("small_keep50", 0.1 * n, 0.1 * n)):
        seconds = rollback[f"rollback_{label}_s"]
        lines.append(f"  {label:<14}{kept:>10,.0f}{moved:>10,.0f}{seconds:>10.3f}")
    none = manager["manager_none_s"]
    lines.append(f"manager run, {manager['manager_evals']:,} evaluations (serial, random), median")
    lines.append(f"  {'summary_files':<16}{'seconds':>10}{'us/eval':>10}{'vs 0':>10}")
    for label, (summary_files, log_only) in MANAGER_SIDES.items():
        seconds = manager[f"manager_{label}_s"]
        per_eval = manager[f"manager_{label}_us_per_eval"]
        shown = f"{summary_files} + log" if log_only else str(summary_files)
        lines.append(f"  {shown:<16}{seconds:>10.3f}{per_eval:>10.1f}{seconds / none:>9.3f}x")
    lines.append(
        f"  3 vs 0: {manager['manager_log_ratio']:.3f}x; log alone vs 0: "
        f"{manager['manager_logonly_ratio']:.3f}x ({manager['manager_log_added_us_per_eval']:+.1f}"
        " us/eval); target <= 1.10x"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--rows", type=int, default=None, help="rows appended (100k)")
    parser.add_argument("--rollback-rows", type=int, default=None, help="log size (1M)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per figure (5)")
    parser.add_argument("--evals", type=int, default=None, help="evaluations per manager run (20k)")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 100_000)
    rollback_rows = args.rollback_rows or (100_000 if args.quick else 1_000_000)
    repeats = args.repeats or (3 if args.quick else 5)
    evals = args.evals or (10_000 if args.quick else 20_000)
    append = bench_append(rows, repeats)
    rollback = bench_rollback(rollback_rows, repeats)
    manager = bench_manager_run(evals, repeats)
    print(_table(append, rollback, manager, rows))
    figures = {"bench": "log", "rows": rows, "repeats": repeats, **append, **rollback, **manager}
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
