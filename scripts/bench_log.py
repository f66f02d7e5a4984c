"""Benchmark the HDF5 log: cost of logging every evaluation, and cost of a rollback on resume.

Run ``python scripts/bench_log.py`` (about a minute) or ``--quick`` (a few seconds). It prints a
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

A run of the whole manager with and without the log belongs in :func:`bench_manager_run`.
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

from glompo_scope_chkpt.log import LOG_FILENAME, OptimizationLog, row_dtype

N_PARAMS = 10
N_OPTS = 4
CHUNK = 1024


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


def bench_manager_run(quick: bool) -> dict[str, float] | None:
    """Time a whole manager run with ``summary_files=3`` against one with the log off.

    To be written once the manager exists: run the same seeded optimization twice (cheap
    objective, serial executor) and return ``{"manager_nolog_s", "manager_log_s",
    "manager_log_overhead_pct"}``. Returns ``None`` until then.
    """
    return None


def _table(append: dict[str, float], rollback: dict[str, float], rows: int) -> str:
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
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--rows", type=int, default=None, help="rows appended (100k)")
    parser.add_argument("--rollback-rows", type=int, default=None, help="log size (1M)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per figure (5)")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 100_000)
    rollback_rows = args.rollback_rows or (100_000 if args.quick else 1_000_000)
    repeats = args.repeats or (3 if args.quick else 5)
    append = bench_append(rows, repeats)
    rollback = bench_rollback(rollback_rows, repeats)
    manager = bench_manager_run(args.quick) or {}
    print(_table(append, rollback, rows))
    figures = {"bench": "log", "rows": rows, "repeats": repeats, **append, **rollback, **manager}
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
