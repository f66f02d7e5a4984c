"""Benchmark one checkpoint of a large run against writing the same bytes (target <= 50 ms).

The run: 8 CMA-ES optimizers at a time (``max_optimizers=8``, restarted as they converge) on a
10-D Rastrigin, serial executor, HDF5 log on (``summary_files=3``), the scope on
(``visualisation=True``), ``--evals`` evaluations (100k). It checkpoints every ``evals / 10``
evaluations and at convergence (``keep_past=3``), once without recording a movie and once
recording one. Every checkpoint the loop takes is timed (``take_checkpoint`` is wrapped) and
broken down by wrapping its parts:

* ``log_flush``   ``OptimizationLog.flush`` (write the buffered rows, fsync the HDF5 file);
* ``movie``       ``MovieTimeline.on_checkpoint`` (close the segment: last frame, ffmpeg exit,
  rename, checksum; save the manifest once; start the next one), recording only;
* ``pickle``      ``dumps_state`` of settings and state (standard pickler, dill fallback);
  ``pickle_task`` the task's (``dill.dumps``);
* ``sha256``      the members' checksums;
* ``tar_gzip``    writing the ``.tar.gz`` under its temporary name (gzip level 0: stored blocks,
  no compression);
* ``fsync``       fsync, rename and directory fsync of the archive;
* ``other``       the rest (markers, temporary folder, ``keep_past``...).

After the run, ``manager.checkpoint()`` is repeated on the finished state (all evaluations in its
history; no log flush, no movie), interleaved with the floor: the archive's size in bytes written
with a plain ``write`` + ``fsync`` (and + rename + directory fsync). Last, what the archive is made
of: the size ``dumps_state`` gives the history, the optimizers and the rest, and for reference
what gzip level 1 would save and cost.

Prints tables and ends with one JSON line of its figures.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dill
import numpy as np
from bench_common import (
    emit,
    interleaved,
    median,
    medians,
    parser,
    table,
    timed,
    write_fsync,
)

import glompo_scope_chkpt.checkpoint.archive as archive_mod
import glompo_scope_chkpt.checkpoint.writer as writer_mod
import glompo_scope_chkpt.core.manager as manager_mod
import glompo_scope_chkpt.engine.loop as engine_mod
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt._fileio import fsync_dir
from glompo_scope_chkpt.checkpoint.writer import dumps_state
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.log.writer import OptimizationLog
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.timeline import MovieTimeline
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer
from glompo_scope_chkpt.scope.live import LiveScope

TARGET_MS = 50.0
N_PARAMS = 10
BOUNDS = [(-5.12, 5.12)] * N_PARAMS
PARTS = ("log_flush", "movie", "pickle", "pickle_task", "sha256", "tar_gzip", "fsync")
MOVIE_PARTS = ("movie_close", "movie_checksum", "movie_manifest", "movie_start")
NAMING = "bench_%(count)"  # ordered by count: dozens of checkpoints a second after the run
GLOMPO = "GloMPO 3.1.1: 1.26-1.88 s, ~900 KB at 10k evaluations (shared notes)"


def rastrigin(x: np.ndarray) -> float:
    """10-D Rastrigin (about 5 us)."""
    return float(10 * len(x) + np.sum(x * x - 10 * np.cos(2 * np.pi * x)))


# ------------------------------------------------------------------------------ instrumentation
class Recorder:
    """Collects the timed parts of each checkpoint while it is installed."""

    def __init__(self) -> None:
        self.checkpoints: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None

    def add(self, part: str, seconds: float) -> None:
        if self.current is not None:
            self.current[part] = self.current.get(part, 0.0) + seconds * 1e3

    def part(self, name: str, fn: Callable) -> Callable:
        """``fn`` with its time added to ``name`` of the current checkpoint."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)

        return wrapper

    def checkpoint(self, fn: Callable) -> Callable:
        """``take_checkpoint`` recording its total time, size and parts."""

        def wrapper(settings: Any, state: Any, *args: Any, **kwargs: Any) -> Path:
            self.current = {part: 0.0 for part in (*PARTS, *MOVIE_PARTS)}
            start = time.perf_counter()
            try:
                path = fn(settings, state, *args, **kwargs)
            finally:
                total = (time.perf_counter() - start) * 1e3
                record, self.current = self.current, None
            record["total"] = total
            record["other"] = total - sum(record[part] for part in PARTS)
            record["movie_other"] = record["movie"] - sum(record[part] for part in MOVIE_PARTS)
            record["f_counter"] = state.f_counter
            record["kb"] = Path(path).stat().st_size / 1024
            record["bytes"] = Path(path).stat().st_size
            record["last"] = bool(kwargs.get("last"))
            record["path"] = str(path)
            self.checkpoints.append(record)
            return path

        return wrapper


class _Proxy:
    """A module whose ``dumps`` (or ``sha256``) is timed; everything else passes through."""

    def __init__(self, module: Any, **wrapped: Callable) -> None:
        self._module, self._wrapped = module, wrapped

    def __getattr__(self, name: str) -> Any:
        return self._wrapped.get(name) or getattr(self._module, name)


@contextlib.contextmanager
def instrumented(rec: Recorder) -> Iterator[Recorder]:
    """Wrap the checkpoint's parts for the duration of the block.

    The movie's parts are nested in ``movie``: ``close_segment`` (last frame, ffmpeg exits),
    ``SegmentRecord.describe`` (the record from the renderer's figures and the file's sha256),
    ``Manifest.save`` and ``start_segment``; the rest of ``movie`` is the rename and its
    directory fsync.
    """
    import hashlib

    original_atomic = archive_mod.atomic_path

    @contextlib.contextmanager
    def atomic_path(final: Path) -> Iterator[Path]:
        final = Path(final)
        tmp = final.with_name(final.name + ".bench-tmp")
        start = time.perf_counter()
        try:
            yield tmp
            rec.add("tar_gzip", time.perf_counter() - start)
            start = time.perf_counter()
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, final)
            fsync_dir(final.parent)
            rec.add("fsync", time.perf_counter() - start)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    patches = [
        (engine_mod, "take_checkpoint", rec.checkpoint(engine_mod.take_checkpoint)),
        (manager_mod, "take_checkpoint", rec.checkpoint(manager_mod.take_checkpoint)),
        (writer_mod, "dumps_state", rec.part("pickle", writer_mod.dumps_state)),
        (archive_mod, "dill", _Proxy(dill, dumps=rec.part("pickle_task", dill.dumps))),
        (archive_mod, "hashlib", _Proxy(hashlib, sha256=rec.part("sha256", hashlib.sha256))),
        (archive_mod, "atomic_path", atomic_path),
        (OptimizationLog, "flush", rec.part("log_flush", OptimizationLog.flush)),
        (MovieTimeline, "on_checkpoint", rec.part("movie", MovieTimeline.on_checkpoint)),
        (LiveScope, "close_segment", rec.part("movie_close", LiveScope.close_segment)),
        (LiveScope, "start_segment", rec.part("movie_start", LiveScope.start_segment)),
        (SegmentRecord, "describe", rec.part("movie_checksum", SegmentRecord.describe)),
        (Manifest, "save", rec.part("movie_manifest", Manifest.save)),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, value in patches:
            setattr(obj, name, value)
        yield rec
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)
    assert archive_mod.atomic_path is original_atomic


# ------------------------------------------------------------------------------------ the run
def run(folder: Path, evals: int, record: bool) -> tuple[GloMPOManager, Recorder, float]:
    """The 8-CMA-ES run with log and scope; return the finished manager, its checkpoints, secs."""
    work = Path(tempfile.mkdtemp(prefix="movie-" if record else "nomovie-", dir=folder))
    control = CheckpointingControl(
        checkpoint_iter_frequency=evals // 10,
        checkpoint_at_conv=True,
        keep_past=3,
        naming_format=NAMING,
        checkpointing_dir=work / "checkpoints",
    )
    manager = GloMPOManager.new_manager(
        task=rastrigin,
        bounds=BOUNDS,
        opt_selector=CycleSelector(CMAOptimizer),
        working_dir=work,
        executor="serial",
        max_jobs=1,
        max_optimizers=8,
        seed=0,
        convergence_checker=MaxFuncCalls(evals),
        checkpoint_control=control,
        summary_files=3,
        visualisation=True,
        visualisation_args={"record_movie": record},
    )
    rec = Recorder()
    with instrumented(rec):
        start = time.perf_counter()
        result = manager.start_manager()
        seconds = time.perf_counter() - start
    if result.stats["f_counter"] != evals:
        raise RuntimeError(f"The run did {result.stats['f_counter']} of {evals} evaluations.")
    return manager, rec, seconds


def atomic_floor(path: Path, data: bytes) -> None:
    """Write + fsync under a temporary name, rename, fsync the folder."""
    tmp = path.with_name(path.name + ".tmp")
    write_fsync(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def repeat_after_run(manager: GloMPOManager, repeats: int, size: int) -> dict[str, list[float]]:
    """``manager.checkpoint()`` on the finished state, interleaved with the floors."""
    data = os.urandom(size)
    folder = manager.settings.checkpoint_control.checkpointing_dir
    rec = Recorder()

    def checkpoint() -> float:
        with instrumented(rec):
            return timed(manager.checkpoint)

    samples = interleaved(
        {
            "checkpoint": checkpoint,
            "write_fsync": lambda: timed(lambda: write_fsync(folder / "floor.bin", data)),
            "atomic_write": lambda: timed(lambda: atomic_floor(folder / "floor2.bin", data)),
        },
        repeats,
        warmup=True,
    )
    out = dict(samples)
    for part in (*PARTS, "other", "kb"):
        out[f"after_run_{part}"] = [r[part] for r in rec.checkpoints[1:]]  # [0]: the warm-up
    return out


def composition(manager: GloMPOManager) -> dict[str, float]:
    """Size and time of ``dumps_state`` on the state's parts; gzip level 1 as a reference."""
    state, settings = manager.state, manager.settings
    payload = dumps_state(
        {"settings": replace(settings, executor_instance=None), "state": state, "elapsed": 0.0}
    )
    out = {"payload_kb": len(payload) / 1024}
    running = {k: r for k, r in state.optimizers.items() if r.running}
    ended = {k: r for k, r in state.optimizers.items() if not r.running}
    out["history_points"] = sum(len(t) for t in state.history.traces.values())
    out["history_kb"] = len(dumps_state(state.history)) / 1024
    out["running_optimizers"] = len(running)
    out["running_optimizers_kb"] = len(dumps_state(running)) / 1024
    out["ended_optimizers"] = len(ended)
    out["ended_optimizers_kb"] = len(dumps_state(ended)) / 1024
    out["one_cma_kb"] = len(dumps_state(next(iter(running.values())).optimizer)) / 1024
    out["pickle_state_ms"] = _ms(lambda: dumps_state(state))
    out["pickle_history_ms"] = _ms(lambda: dumps_state(state.history))
    out["pickle_optimizers_ms"] = _ms(lambda: dumps_state(state.optimizers))
    out["zlib1_ms"] = _ms(lambda: zlib.compress(payload, 1))
    out["zlib1_kb"] = len(zlib.compress(payload, 1)) / 1024
    return out


def _ms(fn: Callable[[], Any], repeats: int = 5) -> float:
    """Median milliseconds of ``fn()``."""
    return median(timed(fn) for _ in range(repeats)) * 1e3


# -------------------------------------------------------------------------------------- report
def in_run_rows(label: str, rec: Recorder) -> list[tuple]:
    rows = []
    for r in rec.checkpoints:
        rows.append(
            (
                f"{label} @ {r['f_counter']:,}{' (last)' if r['last'] else ''}",
                r["total"],
                r["kb"],
                *(r[part] for part in (*PARTS, "other")),
            )
        )
    return rows


def growth(rec: Recorder) -> tuple[float, float]:
    """Least-squares slope of ms and KB per 1,000 evaluations over the loop's checkpoints but
    the first (which also pays for warming up: the first ffmpeg, first writes)."""
    later = rec.checkpoints[1:]
    f = np.array([r["f_counter"] for r in later], float) / 1000
    ms = np.array([r["total"] for r in later])
    kb = np.array([r["kb"] for r in later])
    if len(f) < 2:
        return float("nan"), float("nan")
    return float(np.polyfit(f, ms, 1)[0]), float(np.polyfit(f, kb, 1)[0])


def main(argv: list[str] | None = None) -> int:
    cli = parser(__doc__.splitlines()[0], "fewer repeats after the run (about 45 s)")
    cli.add_argument("--evals", type=int, default=100_000, help="evaluations of the run")
    cli.add_argument("--no-movie", action="store_true", help="skip the run recording a movie")
    args = cli.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 15)
    logging.disable(logging.INFO)
    warnings.simplefilter("ignore")
    CMAOptimizer(BOUNDS, np.zeros(N_PARAMS), seed=0)  # pycma's import is not timed
    fig: dict[str, Any] = {"evals": args.evals, "repeats": repeats}
    headers = ("checkpoint", "ms", "KB", *PARTS, "other")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_checkpoint-") as tmp:
        folder = Path(tmp)
        finished = None
        for record in (False,) if args.no_movie else (False, True):
            label = "movie" if record else "scope"
            manager, rec, seconds = run(folder, args.evals, record)
            fig[f"{label}_run_s"] = seconds
            rows += in_run_rows(label, rec)
            last = rec.checkpoints[-1]
            near_end = [r for r in rec.checkpoints if r["f_counter"] >= 0.8 * args.evals]
            fig[f"{label}_last_ms"] = last["total"]
            fig[f"{label}_last_kb"] = last["kb"]
            fig[f"{label}_near_end_ms"] = median(r["total"] for r in near_end)
            for part in (*PARTS, "other"):
                fig[f"{label}_near_end_{part}_ms"] = median(r[part] for r in near_end)
            if record:
                later = rec.checkpoints[1:]  # the first segment also pays ffmpeg's first start
                fig["movie_median_ms"] = median(r["total"] for r in later)
                for part in ("movie", *MOVIE_PARTS, "movie_other"):
                    fig[f"movie_median_{part}_ms"] = median(r[part] for r in later)
            fig[f"{label}_ms_per_1k_evals"], fig[f"{label}_kb_per_1k_evals"] = growth(rec)
            fig[f"{label}_checkpoints"] = len(rec.checkpoints)
            if finished is None:
                finished, size = manager, last["bytes"]
        samples = repeat_after_run(finished, repeats, size)
        fig.update(composition(finished))
    med = medians(samples)
    fig["after_run_ms"] = med["checkpoint"] * 1e3
    fig["after_run_kb"] = size / 1024
    fig["floor_write_fsync_ms"] = med["write_fsync"] * 1e3
    fig["floor_atomic_write_ms"] = med["atomic_write"] * 1e3
    fig["after_run_vs_write_fsync"] = med["checkpoint"] / med["write_fsync"]
    fig["after_run_vs_atomic_write"] = med["checkpoint"] / med["atomic_write"]
    for part in (*PARTS, "other"):
        fig[f"after_run_{part}_ms"] = med[f"after_run_{part}"]
    fig["target_ms"] = TARGET_MS

    print(
        table(
            headers,
            rows,
            title=f"1. checkpoints taken in the loop, {args.evals:,} evaluations, 8 CMA-ES, "
            "log + scope on (scope: no movie; movie: recording); ms per part",
            digits=1,
        )
    )
    if "movie_median_ms" in fig:
        names = {
            "movie": "on_checkpoint, all of it",
            "movie_close": "close_segment (last frame, ffmpeg exits)",
            "movie_checksum": "SegmentRecord.describe (sha256 of the segment)",
            "movie_manifest": "manifest save (atomic, fsync)",
            "movie_start": "start_segment (next ffmpeg)",
            "movie_other": "the rest (rename, directory fsync)",
        }
        print(
            table(
                ("movie part of a checkpoint", "ms"),
                [(text, fig[f"movie_median_{key}_ms"]) for key, text in names.items()],
                title="   recording: medians over the loop's checkpoints but the first",
                digits=1,
            )
        )
    print()
    after = [
        (
            "after the run (no flush, no movie)",
            fig["after_run_ms"],
            fig["after_run_kb"],
            *(fig[f"after_run_{p}_ms"] for p in (*PARTS, "other")),
        )
    ]
    print(table(headers, after, title=f"2. manager.checkpoint() repeated, medians of {repeats}"))
    print()
    rows2 = [
        ("checkpoint after the run", fig["after_run_ms"], fig["after_run_vs_write_fsync"]),
        ("floor: write + fsync, same bytes", fig["floor_write_fsync_ms"], 1.0),
        (
            "floor: + rename + dir fsync",
            fig["floor_atomic_write_ms"],
            fig["floor_atomic_write_ms"] / fig["floor_write_fsync_ms"],
        ),
        ("last in-loop checkpoint, no movie", fig["scope_last_ms"], float("nan")),
        ("in-loop checkpoints >= 80 %, no movie", fig["scope_near_end_ms"], float("nan")),
    ]
    if "movie_last_ms" in fig:
        rows2 += [
            ("last in-loop checkpoint, recording", fig["movie_last_ms"], float("nan")),
            ("in-loop checkpoints >= 80 %, recording", fig["movie_near_end_ms"], float("nan")),
        ]
    print(
        table(
            ("figure", "ms", "vs write+fsync"),
            rows2,
            title=f"3. against the floor ({fig['after_run_kb']:.0f} KB; target <= {TARGET_MS:g} "
            f"ms). {GLOMPO}",
        )
    )
    print(
        f"   growth over the loop's checkpoints, no movie: {fig['scope_ms_per_1k_evals']:.2f} ms "
        f"and {fig['scope_kb_per_1k_evals']:.1f} KB per 1,000 evaluations"
    )
    print()
    print(
        table(
            ("part of the archive", "KB (dumps_state)", "count"),
            [
                ("manager.pkl (settings + state)", fig["payload_kb"], ""),
                ("  history (points)", fig["history_kb"], fig["history_points"]),
                ("  running optimizers", fig["running_optimizers_kb"], fig["running_optimizers"]),
                (
                    "  ended optimizers (records)",
                    fig["ended_optimizers_kb"],
                    fig["ended_optimizers"],
                ),
                ("  one running CMAOptimizer", fig["one_cma_kb"], 1),
                ("manager.pkl at gzip level 1 (reference)", fig["zlib1_kb"], ""),
            ],
            title="4. what the archive holds (stored at gzip level 0); dumps_state(state) "
            f"{fig['pickle_state_ms']:.1f} ms (history {fig['pickle_history_ms']:.1f}, "
            f"optimizers {fig['pickle_optimizers_ms']:.1f}); gzip level 1 would take "
            f"{fig['zlib1_ms']:.1f} ms",
            digits=1,
        )
    )
    emit("checkpoint", fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
