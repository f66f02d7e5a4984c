"""Run every ``scripts/bench_*.py`` and print one table of their headline figures.

Each benchmark runs as its own process, one after the other (never two at once: they time the
same two cores), with ``--quick`` when given. The last JSON line each prints is collected; the
combined table shows, per benchmark, the figures that have a target in issue 7 (or, for a
benchmark this script does not know, its ratios and efficiencies). The last line printed is one
JSON object: every benchmark's figures, its wall time and exit status.

Usage::

    python scripts/bench_all.py --quick          # every benchmark, under five minutes on 2 cores
    python scripts/bench_all.py --only manager checkpoint
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_common import machine, table

HERE = Path(__file__).resolve().parent
SKIP = {"bench_all", "bench_common"}

# benchmark -> (figure, what it is, target as "<= x" / ">= x" or "" for information only)
HEADLINES: dict[str, list[tuple[str, str, str]]] = {
    "manager": [
        ("random_overhead_us", "overhead per evaluation, random, serial (us)", "<= 10"),
        ("cma_overhead_us", "overhead per evaluation, CMA-ES, serial (us)", "<= 10"),
        ("random_threads3_overhead_us", "overhead, threads/3 opts, random (us)", ""),
        ("sleep_threads_efficiency", "threads, 1 ms sleep, share of ideal 2x", ">= 0.85"),
        ("sleep_processes_efficiency", "processes, 1 ms sleep, share of ideal 2x", ">= 0.85"),
        ("sleep_bare_processes_warm_efficiency", "  floor: bare process pool loop", ""),
    ],
    "checkpoint": [
        ("scope_last_ms", "checkpoint at the last evaluation, scope on (ms)", "<= 50"),
        ("movie_last_ms", "same, recording a movie (ms)", "<= 50"),
        ("after_run_ms", "manager.checkpoint() of the finished run (ms)", "<= 50"),
        ("after_run_kb", "archive size (KB)", ""),
        ("after_run_vs_write_fsync", "ratio to write + fsync of the same bytes", ""),
    ],
    "log": [
        ("log_added_us_per_row", "log cost per row (us)", ""),
        ("manager_logonly_overhead_pct", "manager run, HDF5 log only vs none (%)", "<= 10"),
        ("manager_log_overhead_pct", "summary_files=3 (log + plots) vs none (%)", ""),
        ("rollback_keep10_vs_keep90", "rollback to 10 % vs to 90 % (time ratio)", ""),
    ],
    "scope": [
        ("fps_ratio", "frames/s, live scope / raw Agg + encode", ">= 0.8"),
        ("manager_sleep_ratio", "1 ms sleep objective, scope recording / none", "<= 1.03"),
        ("manager_spin_ratio", "1 ms busy objective, scope recording / none", "<= 1.03"),
    ],
    "dask": [
        ("sleep_dask_ratio", "1 ms sleep, Dask / threads (evaluations/s)", ""),
        ("sleep_dask_x4_ratio", "same, 4 in flight per worker", ""),
        ("spin_dask_ratio", "1 ms busy loop, Dask / threads (evaluations/s)", ""),
    ],
    "stitch": [
        ("copy_vs_bytes", "stream-copy stitch / byte copy", "<= 3"),
        ("copy_vs_bytes_fsync", "stream-copy stitch / byte copy + fsync", "<= 3"),
        ("copy_vs_ffmpeg", "stream-copy stitch / bare ffmpeg", ""),
    ],
}
GENERIC = ("ratio", "efficiency", "_vs_", "overhead")


def benchmarks(only: list[str] | None) -> list[Path]:
    """The benchmark scripts beside this one, by name."""
    found = sorted(p for p in HERE.glob("bench_*.py") if p.stem not in SKIP)
    if only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def last_json(text: str) -> dict[str, Any] | None:
    """The last line of ``text`` that parses as a JSON object."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_one(script: Path, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark; return its status, wall time, output tail and figures."""
    command = [sys.executable, str(script), *(["--quick"] if quick else [])]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent
        )
        status, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        status = "timeout"
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
    seconds = time.perf_counter() - start
    return {
        "status": status,
        "seconds": seconds,
        "figures": last_json(out) or {},
        "stdout": out,
        "stderr_tail": err.strip().splitlines()[-5:],
    }


def verdict(value: Any, target: str) -> str:
    if not target or not isinstance(value, (int, float)) or math.isnan(value):
        return ""
    op, bound = target.split()
    ok = value <= float(bound) if op == "<=" else value >= float(bound)
    return "ok" if ok else "MISSED"


def headline_rows(name: str, figures: dict[str, Any]) -> list[tuple[str, str, Any, str, str]]:
    specs = HEADLINES.get(name)
    if specs is None:
        specs = [
            (key, key, "")
            for key, value in figures.items()
            if isinstance(value, (int, float)) and any(word in key for word in GENERIC)
        ][:8]
    rows = []
    for key, label, target in specs:
        value = figures.get(key)
        if value is None:
            continue
        shown = value if isinstance(value, (int, float)) else str(value)
        rows.append((name, label, shown, target, verdict(value, target)))
    return rows


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    cli.add_argument("--only", nargs="+", help="run only these (e.g. manager checkpoint)")
    cli.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    cli.add_argument("--verbose", action="store_true", help="print each benchmark's output")
    args = cli.parse_args(argv)
    timeout = args.timeout or (240.0 if args.quick else 1800.0)
    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for script in benchmarks(args.only):
        name = script.stem.removeprefix("bench_")
        print(f"running {script.name}{' --quick' if args.quick else ''} ...", flush=True)
        result = results[name] = run_one(script, args.quick, timeout)
        print(f"  {result['status']} in {result['seconds']:.1f} s", flush=True)
        if args.verbose or result["status"] != 0:
            print(result["stdout"])
            print("\n".join(result["stderr_tail"]))
    total = time.perf_counter() - start
    rows = []
    for name, result in results.items():
        found = headline_rows(name, result["figures"])
        if not found:
            found = [(name, "no figures (see its output)", float("nan"), "", "")]
        rows += found
    print()
    print(table(("bench", "figure", "value", "target", ""), rows, digits=3, left=2))
    print()
    print(
        table(
            ("bench", "exit", "seconds"),
            [(n, str(r["status"]), r["seconds"]) for n, r in results.items()]
            + [("total", "", total)],
            digits=1,
        )
    )
    failed = [name for name, r in results.items() if r["status"] != 0]
    summary = {
        "bench": "all",
        "quick": args.quick,
        "total_s": round(total, 1),
        "failed": failed,
        "seconds": {n: round(r["seconds"], 1) for n, r in results.items()},
        "results": {n: r["figures"] for n, r in results.items()},
        **machine(),
    }
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
