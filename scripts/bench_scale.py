"""Benchmark how a run's costs grow with its length: checkpoint, memory, frames, load.

For each size (``--sizes``, default 1e4 1e5 1e6 1e7 evaluations; ``--quick``: 1e4 and 3e4) and
each executor (serial, threads with 2 workers), one run in its own process: a cheap 5-D sphere,
8 optimizers at a time (a ``CycleSelector`` of CMA-ES and random search), the scope recording a
movie, a checkpoint every tenth of the run (``keep_past=2``). Per run:

* ``chk_kb``, ``chk_ms``   the last checkpoint the loop took: archive size and wall time;
* ``mgr_mb``               the manager process's peak RSS (``VmHWM``) at the end of the run;
* ``rend_mb``              the renderer process's peak RSS, read just before it is closed;
* ``B/eval``               how much each peak grew per evaluation since the previous size;
* ``fps``                  movie frames recorded per second of the run;
* ``load_s``               ``load_manager`` of the checkpointing folder afterwards.

Goals (issue 16): checkpoint <= 50 ms and <= 1 MB at every size; manager RSS growth <= 16 bytes
per evaluation; renderer RSS bounded. Prints one table and ends with one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from bench_common import emit, parser, table

HERE = Path(__file__).resolve()
EXECUTORS = ("serial", "threads")


def sphere(x: Any) -> float:
    """A cheap objective (a few microseconds)."""
    return float((x * x).sum())


def _vm_hwm_mb(pid: int | str) -> float:
    """Peak resident set size of process ``pid`` in MB (``VmHWM``), or nan."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _instrument(figures: dict[str, Any]) -> None:
    """Time the loop's checkpoints; read the renderer's peak RSS before it is closed."""
    import glompo_scope_chkpt.engine.loop as loop
    from glompo_scope_chkpt.scope.live import LiveScope

    take = loop.take_checkpoint

    def timed_checkpoint(*args: Any, **kwargs: Any) -> Path:
        start = time.perf_counter()
        path = take(*args, **kwargs)
        figures["chk_ms"] = (time.perf_counter() - start) * 1e3
        figures["chk_kb"] = Path(path).stat().st_size / 1024
        return path

    close = LiveScope.close

    def close_reading_peak(self: LiveScope, *args: Any, **kwargs: Any) -> Any:
        figures["rend_mb"] = max(figures.get("rend_mb", 0.0), _vm_hwm_mb(self.renderer_pid))
        return close(self, *args, **kwargs)

    loop.take_checkpoint = timed_checkpoint  # type: ignore[assignment]
    LiveScope.close = close_reading_peak  # type: ignore[method-assign]


def run_case(size: int, executor: str, folder: Path) -> dict[str, Any]:
    """One run of ``size`` evaluations in ``folder``; its figures (in this process)."""
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.movie.manifest import Manifest
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer

    figures: dict[str, Any] = {"size": size, "executor": executor}
    _instrument(figures)
    manager = GloMPOManager.new_manager(
        task=sphere,
        bounds=[(-5.0, 5.0)] * 5,
        opt_selector=CycleSelector(CMAOptimizer, (RandomOptimizer, {"max_evals": size // 20})),
        working_dir=folder,
        executor=executor,
        max_jobs=1 if executor == "serial" else 2,
        max_optimizers=8,
        seed=0,
        convergence_checker=MaxFuncCalls(size),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=max(1, size // 10),
            keep_past=2,
            naming_format="c_%(count)",
            checkpointing_dir=Path(folder) / "checkpoints",
        ),
        visualisation=True,
        visualisation_args={"record_movie": True, "events_per_flush": 1000},
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manager.start_manager()
    run_s = time.perf_counter() - start
    figures["mgr_mb"] = _vm_hwm_mb("self")
    chk = manager.settings.checkpoint_control.checkpointing_dir
    manifest = Manifest.load(chk / Manifest.FILENAME)
    frames = sum(r.video.frames for r in manifest.segments if r.video is not None)
    figures["fps"] = frames / run_s
    figures["run_s"] = run_s
    start = time.perf_counter()
    GloMPOManager.load_manager(chk)
    figures["load_s"] = time.perf_counter() - start
    return figures


def _growth(fig: dict[str, Any], before: dict[str, Any] | None) -> dict[str, float]:
    """Peak RSS growth per evaluation, manager and renderer, from the run ``before`` (nan: none)."""
    if before is None:
        return {"mgr_b_per_eval": float("nan"), "rend_b_per_eval": float("nan")}
    evals, nan = fig["size"] - before["size"], float("nan")
    return {
        f"{who}_b_per_eval": (fig.get(f"{who}_mb", nan) - before.get(f"{who}_mb", nan))
        * 2**20
        / evals
        for who in ("mgr", "rend")
    }


def main(argv: list[str] | None = None) -> int:
    cli = parser(__doc__.splitlines()[0], quick_help="sizes 1e4 and 3e4")
    cli.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7])
    cli.add_argument("--case", nargs=2, metavar=("SIZE", "EXECUTOR"), help="internal: one run")
    args = cli.parse_args(argv)
    if args.case:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_case(int(args.case[0]), args.case[1], Path(tmp) / "run")))
        return 0
    sizes = [10_000, 30_000] if args.quick else [int(s) for s in args.sizes]
    rows, results, previous = [], [], {}
    for size in sizes:
        for executor in EXECUTORS:
            done = subprocess.run(
                [sys.executable, str(HERE), "--case", str(size), executor],
                capture_output=True,
                text=True,
                env=dict(os.environ, MPLBACKEND="Agg"),
            )
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            fig.update(_growth(fig, previous.get(executor)))
            previous[executor] = fig
            results.append(fig)
            rows.append(
                [f"{size:.0e}", executor, fig.get("chk_kb", float("nan")),
                 fig.get("chk_ms", float("nan")), fig["mgr_mb"], fig["mgr_b_per_eval"],
                 fig.get("rend_mb", float("nan")), fig["rend_b_per_eval"], fig["fps"],
                 fig["load_s"], fig["run_s"]]
            )  # fmt: skip
    headers = ["evals", "executor", "chk KB", "chk ms", "mgr MB", "mgr B/eval", "rend MB"]
    headers += ["rend B/eval", "fps", "load s", "run s"]
    print(table(headers, rows, title="Run length vs costs", left=2))
    print("B/eval: peak RSS growth per evaluation since the previous size (same executor)")
    emit("scale", {"runs": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
