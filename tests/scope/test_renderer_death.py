"""The movie never kills the optimization: a dying encoder or renderer costs at most a few frames.

A real recorded run evaluates a task that SIGKILLs the scope's ffmpeg child, or the renderer
process itself, at a chosen evaluation: in the middle of a segment, or right before a checkpoint.
The run must warn once, keep what the cut segment holds, record on in a new segment (a new
renderer redraws the whole picture from the run's history), write every later checkpoint
(whatever ``raise_checkpoint_fail``) and resume; the final movie decodes cleanly with as many
frames as the manifest's timeline holds, and no ffmpeg or renderer process outlives the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.errors import FFmpegError, StitchError
from glompo_scope_chkpt.movie.video.probe import probe
from glompo_scope_chkpt.scope.live import LiveScope
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.media import assert_decodes_cleanly
from tests.helpers.procs import ffmpeg_writing, processes, processes_mentioning, wait_gone
from tests.helpers.tasks import slow_sphere

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 30}}
FREQUENCY, STOP_AT, BUDGET = 200, 500, 700


def renderers() -> list[int]:
    """Pids of the scope renderer processes started by this process."""
    me = os.getpid()
    return [
        p.pid
        for p in processes()
        if p.ppid == me and p.state != "Z" and any("renderer_main" in arg for arg in p.argv)
    ]


class KillsTheScope:
    """``slow_sphere`` that SIGKILLs the scope's ``target`` at the given calls, and sends
    SIGUSR1 to its own process at call ``stop_at`` (the run checkpoints and stops there)."""

    def __init__(self, target: str, at: tuple[int, ...], segments: Path, stop_at: int) -> None:
        self.target, self.at, self.segments, self.stop_at = target, at, segments, stop_at
        self.calls = 0
        self.killed: list[int] = []

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls in self.at:
            _wait_for_a_frame(self.segments)
            victims = ffmpeg_writing(self.segments) if self.target == "ffmpeg" else renderers()
            assert len(victims) == 1, victims
            os.kill(victims[0], signal.SIGKILL)
            wait_gone(victims)
            self.killed.append(self.calls)
        if self.calls == self.stop_at:
            os.kill(os.getpid(), signal.SIGUSR1)
        return slow_sphere(x)


def _wait_for_a_frame(segments: Path, timeout: float = 60) -> None:
    """Wait until the renderer, which may lag behind the run, records a segment holding a frame.

    Files are created in the order of their numbers, so the last one is being written.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        files = sorted(segments.glob("*.recording.ts"))
        if len(ffmpeg_writing(segments)) == 1 and files:
            with contextlib.suppress(StitchError):
                if probe(files[-1]).frames > 0:
                    return
        time.sleep(0.01)
    raise AssertionError(f"no segment in {segments} received a frame within {timeout} s")


def _manifest(work: Path) -> dict:
    return json.loads((work / "checkpoints" / "movie_manifest.json").read_text())


def _timeline_frames(work: Path) -> int:
    segments = _manifest(work)["segments"]
    return sum(s["frames"] for s in segments if s["status"] == "complete")


def _losses(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "died" in str(w.message)]


def _assert_no_process_left(work: Path) -> None:
    wait_gone(processes_mentioning(str(work)), timeout=5)
    wait_gone(renderers(), timeout=5)


def _run(make_manager, task: KillsTheScope, raise_fail: bool, budget: int = BUDGET):
    manager = make_manager(
        task=task,
        visualisation=True,
        visualisation_args=VIS,
        convergence_checker=MaxFuncCalls(budget),
        control={"checkpoint_iter_frequency": FREQUENCY, "raise_checkpoint_fail": raise_fail},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = manager.start_manager()
    return result, caught


@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
@pytest.mark.parametrize("at", [300, FREQUENCY * 2], ids=["mid-segment", "before-checkpoint"])
@pytest.mark.parametrize("target", ["ffmpeg", "renderer"])
def test_the_run_survives_a_killed_encoder_or_renderer(
    make_manager, tmp_path: Path, target: str, at: int, raise_fail: bool
) -> None:
    work = tmp_path / "run"
    task = KillsTheScope(target, (at,), work / "checkpoints" / "segments", STOP_AT)
    result, caught = _run(make_manager, task, raise_fail)
    assert task.killed == [at]
    assert result.interrupted and result.stats["interrupt_signal"] == "SIGUSR1"
    assert len(_losses(caught)) == 1, [str(w.message) for w in caught]
    assert not [w for w in caught if "Checkpoint failed" in str(w.message)]
    written = [read_meta(Path(p))["f_counter"] for p in result.stats["checkpoints"]]
    assert written == [200, 400, result.stats["f_counter"]] and written[-1] >= STOP_AT
    segments = _manifest(work)["segments"]
    assert all(s["status"] == "complete" and s["frames"] > 0 for s in segments)
    closed_by = [s["checkpoint"] for s in segments]
    names = [name for name in closed_by if name]
    # a checkpoint right where the recorder died ends a segment without frames: none is kept
    assert names in (["chk_000", "chk_001", "chk_002"], ["chk_000", "chk_002"])
    assert len(segments) == len(names) + closed_by.count(None)  # + a segment cut at the death
    _assert_no_process_left(work)

    resumed = GloMPOManager.load_manager(
        work / "checkpoints", convergence_checker=MaxFuncCalls(BUDGET)
    )
    final = resumed.start_manager()
    assert not final.interrupted and final.stats["f_counter"] == BUDGET
    frames = assert_decodes_cleanly(final.stats["movie"])
    assert frames > 0 and frames == _timeline_frames(work)
    _assert_no_process_left(work)


def test_a_scope_that_keeps_dying_stops_recording_and_the_run_finishes(
    make_manager, tmp_path: Path
) -> None:
    work = tmp_path / "run"
    task = KillsTheScope("renderer", (150, 250, 350), work / "checkpoints" / "segments", 0)
    result, caught = _run(make_manager, task, raise_fail=True, budget=600)
    assert task.killed == [150, 250, 350]
    assert not result.interrupted and result.stats["f_counter"] == 600
    losses = _losses(caught)
    assert len(losses) == 3 and "stops recording" in losses[-1]
    assert [read_meta(Path(p))["f_counter"] for p in result.stats["checkpoints"]] == [200, 400]
    frames = assert_decodes_cleanly(result.stats["movie"])
    assert frames > 0 and frames == _timeline_frames(work)
    assert (work / "glomporecording_final.png").stat().st_size > 0
    _assert_no_process_left(work)


def test_a_killed_encoder_is_a_loss_and_its_segment_stays_playable(tmp_path: Path) -> None:
    history, path = History(), tmp_path / "seg.ts"
    scope = LiveScope(validate_visualisation_args(VIS), history)
    scope.start_segment(path)
    for call_id in range(1, 101):
        history.add_point(1, call_id, float(np.cos(call_id / 9)))
        scope.notify_point(1, call_id, 0.0)
        if call_id % 10 == 0:
            scope.wait_idle()
    encoder = ffmpeg_writing(path)
    assert scope.lost is None and len(encoder) == 1
    os.kill(encoder[0], signal.SIGKILL)
    wait_gone(encoder)
    scope.notify_marker(history.add_marker("checkpoint", 100, label="c"))
    for call_id in range(101, 111):  # the next frame, at 110, meets the dead encoder
        history.add_point(1, call_id, 0.5)
        scope.notify_point(1, call_id, 0.0)
    scope.wait_idle()
    assert scope.lost is not None and "encoder (ffmpeg) died" in scope.lost
    with pytest.raises(FFmpegError, match="code -9"):
        scope.close_segment()
    assert assert_decodes_cleanly(path) == probe(path).frames >= 9
    renderer = scope.renderer_pid
    assert scope.close() is None
    wait_gone([renderer])
