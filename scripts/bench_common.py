"""Helpers shared by the ``scripts/bench_*.py`` benchmarks.

Every benchmark compares sides (the package against its floor) in one run, interleaving the
repeats so that a change of load on a shared machine hits every side alike, and reports medians.
Each prints a small table and ends with exactly one JSON line of its figures.

* :func:`timed`, :func:`interleaved`, :func:`median`, :func:`medians` -- timing;
* :func:`table` -- a plain-text table with right-aligned numbers;
* :func:`machine`, :func:`json_line`, :func:`emit` -- the closing JSON line;
* :func:`parser` -- the command line every benchmark accepts (``--quick``, ``--repeats``);
* :func:`write_fsync` -- the floor of any durable file write;
* :func:`sleep_1ms`, :func:`spin_1ms` -- the 1 ms objectives; :func:`bare_executor` -- the floor
  of any executor: the same evaluations with no manager.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "bare_executor",
    "emit",
    "interleaved",
    "json_line",
    "machine",
    "median",
    "medians",
    "parser",
    "sleep_1ms",
    "spin_1ms",
    "table",
    "timed",
    "write_fsync",
]


def timed(action: Callable[[], Any]) -> float:
    """Wall seconds of one call of ``action``."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: Iterable[float]) -> float:
    """Median of ``values`` (``nan`` if there are none)."""
    values = list(values)
    return statistics.median(values) if values else math.nan


def medians(samples: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Median of each list of samples."""
    return {name: median(values) for name, values in samples.items()}


def interleaved(
    sides: Mapping[str, Callable[[], float | None]], repeats: int, warmup: bool = False
) -> dict[str, list[float]]:
    """Run every side ``repeats`` times, interleaved; return each side's samples.

    A side returns the figure it measured itself (e.g. seconds of the part that matters), or
    ``None``: then its wall time is taken. With ``warmup`` every side runs once untimed first.
    """
    samples: dict[str, list[float]] = {name: [] for name in sides}
    if warmup:
        for action in sides.values():
            action()
    for _ in range(repeats):
        for name, action in sides.items():
            start = time.perf_counter()
            value = action()
            elapsed = time.perf_counter() - start
            samples[name].append(elapsed if value is None else float(value))
    return samples


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    return str(value)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str = "",
    digits: int = 2,
    left: int = 1,
) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the others right-aligned."""
    cells = [[_cell(value, digits) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))

    def line(row: Sequence[str]) -> str:
        parts = [
            text.ljust(widths[i]) if i < left else text.rjust(widths[i])
            for i, text in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out += [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for text in handle:
                if text.startswith("model name"):
                    return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on, and how loaded it was (1-minute load average)."""
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - platforms without a load average
        load = None
    return {
        "machine": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_1min": load,
    }


def _plain(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, digits) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def json_line(bench: str, figures: Mapping[str, Any], digits: int = 6) -> str:
    """One JSON object: ``bench``, the figures (floats rounded, non-finite as null), machine."""
    return json.dumps({"bench": bench, **_plain(dict(figures), digits), **machine()})


def emit(bench: str, figures: Mapping[str, Any]) -> None:
    """Print the closing JSON line of a benchmark."""
    print(json_line(bench, figures), flush=True)


def parser(description: str, quick_help: str = "small sizes and fewer repeats") -> Any:
    """An argument parser with ``--quick`` and ``--repeats`` (``None`` unless given)."""
    cli = argparse.ArgumentParser(description=description)
    cli.add_argument("--quick", action="store_true", help=quick_help)
    cli.add_argument("--repeats", type=int, default=None, help="repeats per figure (median)")
    return cli


def write_fsync(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and fsync it: the floor of any durable file write."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def sleep_1ms(x: Any) -> float:
    """A 1 ms objective that releases the GIL and the core: ``time.sleep(0.001)``."""
    time.sleep(0.001)
    return float(sum(x))


def spin_1ms(x: Any) -> float:
    """A 1 ms objective that holds the GIL and a core: a pure-Python busy loop."""
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
    return float(sum(x))


def bare_executor(
    executor: cf.Executor, f: Callable[[Any], Any], evals: int, jobs: int = 2
) -> float:
    """Seconds of ``evals`` calls ``f(x)`` on ``executor`` with ``jobs`` in flight, no manager.

    ``jobs`` calls are submitted, then one more as each ends: what a manager does, minus the
    manager.
    """
    x = [0.5] * 10
    start = time.perf_counter()
    in_flight = {executor.submit(f, x) for _ in range(min(jobs, evals))}
    submitted = len(in_flight)
    while in_flight:
        finished, in_flight = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        for future in finished:
            future.result()
            if submitted < evals:
                in_flight.add(executor.submit(f, x))
                submitted += 1
    return time.perf_counter() - start
