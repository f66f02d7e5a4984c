"""Benchmark of the live scope, side by side in one run.

1. Frames per second at 1200x800: the :class:`LiveScope` (renderer process, incremental drawing,
   ffmpeg) against a raw full Agg draw + ffmpeg encode of the same frames in one process, and an
   encode-only floor. The live scope is waited for after every request, so both draw exactly the
   same frames.
2. The manager-side cost: a loop of evaluations with a 1 ms objective, ``history.add_point`` and
   ``notify_point`` (``events_per_flush=10``, recording at 1200x800) against the same loop without
   a scope. Two stand-ins for the objective: ``sleep`` (``time.sleep(0.001)``: the objective runs
   elsewhere, e.g. a worker, and releases the GIL) and ``spin`` (a pure-Python loop of 1 ms that
   holds the GIL and a core). The rejected design, a renderer *thread*, is measured too.
3. The catch-up: from the end of that loop to the stitched movie (``.mp4``): the renderer draws
   the frames it still owes (it never drops one), ffmpeg finishes the segment, and the segment is
   stitched, as when a run ends.
4. The cost of one ``notify_point`` call.

Prints a table and ends with one JSON line. ``--quick`` runs in about a minute on an idle
machine (nearly four with two busy cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.movie.stitch.run import stitch
from glompo_scope_chkpt.movie.video.segment_writer import SegmentWriter
from glompo_scope_chkpt.scope.cursor import HistoryCursor
from glompo_scope_chkpt.scope.live import LiveScope
from glompo_scope_chkpt.scope.plot import ScopePlot
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

ARGS = validate_visualisation_args({"record_movie": True, "events_per_flush": 10})
N_OPT = 8


def points(n: int, seed: int = 0) -> Iterator[tuple[int, int, float]]:
    """``(opt_id, call_id, fx)`` of ``N_OPT`` optimizers that slowly improve, with noise."""
    rng = np.random.default_rng(seed)
    noise = rng.random(n)
    for call_id in range(1, n + 1):
        opt_id = call_id % N_OPT
        level = (20 + 10 * opt_id) * np.exp(-call_id / (n * (0.5 + opt_id / N_OPT)))
        yield opt_id, call_id, float(level * (1 + noise[call_id - 1]))


def fps_raw(n: int, folder: Path) -> float:
    """Full Agg draw of every frame + ffmpeg encode, in this process."""
    history, every = History(), ARGS["events_per_flush"]
    plot, cursor = ScopePlot(ARGS, blit=False), HistoryCursor(history)
    writer = SegmentWriter(
        folder / f"raw-{time.monotonic_ns()}.ts", plot.width, plot.height, fps=10
    ).setup()
    start = time.perf_counter()
    for i, (opt_id, call_id, fx) in enumerate(points(n), start=1):
        history.add_point(opt_id, call_id, fx)
        if i % every == 0:
            plot.apply(cursor.delta())
            writer.write(plot.render())
    frames = writer.close()
    return frames / (time.perf_counter() - start)


def fps_encode_only(frames: int, folder: Path) -> float:
    """ffmpeg alone, fed one fixed 1200x800 picture ``frames`` times."""
    plot = ScopePlot.from_history(ARGS, History())
    pixels = bytes(plot.render())
    writer = SegmentWriter(
        folder / f"enc-{time.monotonic_ns()}.ts", plot.width, plot.height, fps=10
    ).setup()
    start = time.perf_counter()
    for _ in range(frames):
        writer.write(pixels)
    writer.close()
    return frames / (time.perf_counter() - start)


def fps_live(n: int, folder: Path) -> float:
    """The live scope, waited for after every frame request (so no request coalesces)."""
    history, every = History(), ARGS["events_per_flush"]
    with LiveScope(ARGS, history) as scope:
        scope.start_segment(folder / f"live-{time.monotonic_ns()}.ts")
        scope.wait_idle()
        start = time.perf_counter()
        for i, (opt_id, call_id, fx) in enumerate(points(n), start=1):
            history.add_point(opt_id, call_id, fx)
            scope.notify_point(opt_id, call_id, fx)
            if i % every == 0:
                scope.wait_idle()
        frames = scope.end_segment().result().frames
        return frames / (time.perf_counter() - start)


def objective(kind: str) -> Callable[[], None]:
    """The 1 ms objective stand-in: ``sleep`` releases the GIL, ``spin`` holds it."""
    if kind == "sleep":
        return lambda: time.sleep(0.001)

    def spin() -> None:
        end = time.perf_counter() + 0.001
        while time.perf_counter() < end:
            pass

    return spin


def manager_loop(n: int, kind: str, scope: str, folder: Path) -> tuple[float, int, float]:
    """Seconds of ``n`` evaluations with ``scope`` in ('none', 'process', 'thread'), frames,
    and the seconds from the loop's end to the stitched movie (``process`` only, else nan)."""
    history, f = History(), objective(kind)
    segment = folder / f"m-{scope}-{kind}-{time.monotonic_ns()}.ts"
    live: LiveScope | _ThreadScope | None = None
    if scope == "thread":
        live = _ThreadScope(history, segment)
    elif scope == "process":
        live = LiveScope(ARGS, history)
        live.start_segment(segment)
    notify = live.notify_point if live is not None else None
    start = time.perf_counter()
    for opt_id, call_id, fx in points(n):
        f()
        history.add_point(opt_id, call_id, fx)
        if notify is not None:
            notify(opt_id, call_id, fx)
    ended = time.perf_counter()
    if isinstance(live, LiveScope):
        with live:
            info = live.end_segment(last=True).result()
        assert info is not None  # the run's last frame at least
        stitch([segment], segment.with_suffix(".mp4"), force=True)
        return ended - start, info.frames, time.perf_counter() - ended
    frames = live.close().frames if live is not None else 0
    return ended - start, frames, float("nan")


class _ThreadScope:
    """The rejected design: the same plot and writer, drawn by a thread of the manager."""

    def __init__(self, history: History, path: Path) -> None:
        self._plot, self._cursor = ScopePlot(ARGS), HistoryCursor(history)
        self._writer = SegmentWriter(path, self._plot.width, self._plot.height).setup()
        self._wake, self._stop, self._count = threading.Event(), False, 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def notify_point(self, opt_id: int, call_id: int, fx: float) -> None:
        self._count += 1
        if self._count % ARGS["events_per_flush"] == 0:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            if self._wake.wait(0.1):
                self._wake.clear()
                self._plot.apply(self._cursor.delta())
                self._writer.write(self._plot.render())

    def close(self) -> _ThreadScope:
        self._stop = True
        self._thread.join()
        self.frames = self._writer.close()
        return self


def notify_cost_us(calls: int = 1_000_000) -> float:
    """Microseconds per ``notify_point`` call (events_per_flush=10, renderer idle)."""
    args = validate_visualisation_args({"events_per_flush": 10})
    with LiveScope(args, History()) as scope:
        notify = scope.notify_point
        start = time.perf_counter()
        for call_id in range(calls):
            notify(0, call_id, 1.0)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(calls):
            pass
        empty = time.perf_counter() - start
    return (elapsed - empty) / calls * 1e6


def median_of(repeats: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(repeats))


def measure_manager(n: int, repeats: int, folder: Path, thread: bool) -> dict[str, float]:
    """Runs without and with the scope alternate, so a load change hits both alike."""
    out: dict[str, float] = {}
    for kind in ("sleep", "spin"):
        modes = ("none", "process", "thread") if thread else ("none", "process")
        runs: dict[str, list[tuple[float, int, float]]] = {mode: [] for mode in modes}
        for _ in range(repeats):
            for mode in modes:
                runs[mode].append(manager_loop(n, kind, mode, folder))
        base = statistics.median(r[0] for r in runs["none"])
        for mode, key in (("process", ""), ("thread", "_thread")):
            if mode in runs:
                seconds = statistics.median(r[0] for r in runs[mode])
                out[f"manager_{kind}{key}_s"] = seconds
                out[f"manager_{kind}{key}_ratio"] = seconds / base
                out[f"manager_{kind}{key}_frames"] = statistics.median(r[1] for r in runs[mode])
        out[f"manager_{kind}_s_none"] = base
        out[f"catch_up_{kind}_s"] = statistics.median(r[2] for r in runs["process"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer evaluations and repeats")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (median is reported)")
    parser.add_argument("--no-thread", action="store_true", help="skip the renderer-thread rows")
    opts = parser.parse_args()
    repeats = opts.repeats or 3
    n_fps, n_manager = (1500, 3000) if opts.quick else (5000, 20_000)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = median_of(repeats, lambda: fps_raw(n_fps, folder))
        live = median_of(repeats, lambda: fps_live(n_fps, folder))
        encode = median_of(repeats, lambda: fps_encode_only(n_fps // 10, folder))
        manager = measure_manager(n_manager, repeats, folder, not opts.no_thread)
    figures = {
        "fps_live": live,
        "fps_raw": raw,
        "fps_ratio": live / raw,
        "fps_encode": encode,
        **manager,
        "notify_point_us": notify_cost_us(),
        "evaluations": n_manager,
        "frames_fps_test": n_fps // 10,
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
    }
    print_table(figures)
    print(json.dumps({"bench": "scope", "machine": platform.platform(), **figures}))
    return 0


def print_table(f: dict[str, float]) -> None:
    print(
        f"scope benchmark (1200x800, events_per_flush=10, medians of {f['repeats']}, "
        f"{f['cpus']} CPUs, load average {f['load_before']:.1f} -> {f['load_after']:.1f})"
    )
    print(f"{'figure':<52}{'value':>12}")
    rows = [
        ("frames/s, LiveScope recording", f"{f['fps_live']:.1f}"),
        ("frames/s, raw full Agg draw + encode (same frames)", f"{f['fps_raw']:.1f}"),
        ("  ratio LiveScope / raw (target >= 0.80)", f"{f['fps_ratio']:.2f}"),
        ("frames/s, encode only (floor of any recorder)", f"{f['fps_encode']:.1f}"),
    ]
    for kind in ("sleep", "spin"):
        rows += [
            (
                f"{kind}: {f['evaluations']} evals without scope (s)",
                f"{f[f'manager_{kind}_s_none']:.2f}",
            ),
            (f"{kind}: same, scope recording (s)", f"{f[f'manager_{kind}_s']:.2f}"),
            (f"  {kind}: ratio (target <= 1.03)", f"{f[f'manager_{kind}_ratio']:.3f}"),
            (f"  {kind}: frames recorded", f"{f[f'manager_{kind}_frames']:.0f}"),
            (
                f"  {kind}: catch-up, loop end to stitched movie (s)",
                f"{f[f'catch_up_{kind}_s']:.2f}",
            ),
        ]
        if f"manager_{kind}_thread_ratio" in f:
            rows.append(
                (
                    f"  {kind}: ratio with a renderer thread (rejected)",
                    f"{f[f'manager_{kind}_thread_ratio']:.3f} "
                    f"({f[f'manager_{kind}_thread_frames']:.0f} fr)",
                )
            )
    rows.append(("notify_point cost (µs per call)", f"{f['notify_point_us']:.3f}"))
    for name, value in rows:
        print(f"{name:<52}{value:>12}")


if __name__ == "__main__":
    raise SystemExit(main())
