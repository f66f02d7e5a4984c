"""The live scope: frames off the manager's thread, segments that survive kills, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import av
import numpy as np
import pytest
from matplotlib.image import imread

from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.errors import ScopeError, SegmentExistsError
from glompo_scope_chkpt.scope import live
from glompo_scope_chkpt.scope.channel import send_message
from glompo_scope_chkpt.scope.live import LiveScope
from glompo_scope_chkpt.scope.plot import ScopePlot
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.media import assert_decodes_cleanly, frame_hashes
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import ffmpeg_writing, wait_gone

SMALL = {"figsize": (2.4, 1.6), "dpi": 100}


def _args(**kwargs: object) -> dict:
    movie = dict(SMALL, **kwargs.pop("movie_kwargs", {}))  # type: ignore[arg-type]
    return validate_visualisation_args({**kwargs, "movie_kwargs": movie})


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def feed(history: History, scope: LiveScope, start: int, stop: int, wait: bool) -> None:
    """Evaluations ``start..stop-1`` of three optimizers, as a manager reports them."""
    for call_id in range(start, stop):
        opt_id, fx = call_id % 3, float(50 + 40 * np.sin(call_id / 7) + call_id % 5)
        history.add_point(opt_id, call_id, fx)
        scope.notify_point(opt_id, call_id, fx)
        if wait and call_id % scope.args["events_per_flush"] == 0:
            scope.wait_idle()


class _Null:
    """Stands in for a scope where only the history matters."""

    args: ClassVar[dict] = {"events_per_flush": 1}

    def notify_point(self, *_args: object) -> None:
        return None


@pytest.mark.parametrize(("n_points", "every"), [(60, 3), (40, 10)])
def test_one_frame_per_flush(tmp_path: Path, n_points: int, every: int) -> None:
    history, path = History(), tmp_path / "seg.ts"
    with LiveScope(_args(events_per_flush=every, record_movie=True), history) as scope:
        scope.start_segment(path)
        assert scope.recording
        feed(history, scope, 1, n_points + 1, wait=True)
        stats = scope.close_segment()
        assert not scope.recording
    assert stats.frames == n_points // every == scope.frames_drawn
    assert (stats.path, stats.codec, stats.pix_fmt, stats.fps) == (path, "h264", "yuv420p", 10)
    assert_decodes_cleanly(path)
    frames = decoded_frames(path)
    assert len(frames) == stats.frames
    assert frames[0].shape == (stats.height, stats.width, 3) == (160, 240, 3)


def test_dpi_changes_the_even_frame_size(tmp_path: Path) -> None:
    sizes = []
    for dpi in (100, 150):
        history, path = History(), tmp_path / f"dpi{dpi}.ts"
        feed(history, _Null(), 1, 10, wait=False)  # type: ignore[arg-type]
        with LiveScope(_args(movie_kwargs={"figsize": (2.13, 1.61), "dpi": dpi}), history) as s:
            s.start_segment(path)
            stats = s.close_segment(last=True)  # the run's last frame: all it holds
        assert stats.frames == 1
        assert_decodes_cleanly(path)
        assert decoded_frames(path)[0].shape[:2] == (stats.height, stats.width)
        sizes.append((stats.width, stats.height))
    assert sizes == [(212, 160), (320, 242)]


def test_first_frame_continues_the_saved_picture(tmp_path: Path) -> None:
    history, path = History(), tmp_path / "resumed.ts"
    feed(history, _Null(), 1, 400, wait=False)  # type: ignore[arg-type]
    history.add_marker("checkpoint", 399)
    history.add_marker("resume", 399)
    args = _args()
    with LiveScope(args, history) as scope:
        scope.start_segment(path)
        stats = scope.close_segment(last=True)
        scope.save_still(tmp_path / "still.png")
    assert stats.frames == 1
    reference = ScopePlot.from_history(args, history)
    expected = np.asarray(reference.render()).copy()
    reference.save_png(tmp_path / "reference.png")
    empty = np.asarray(ScopePlot(args).render())[..., :3].astype(int)
    still = imread(tmp_path / "still.png")
    np.testing.assert_array_equal(still, imread(tmp_path / "reference.png"))
    first = decoded_frames(path)[0].astype(int)
    error = np.abs(first - expected[..., :3]).mean()
    assert error < 0.25 * np.abs(empty - expected[..., :3]).mean()


def test_a_lagging_renderer_draws_every_frame(tmp_path: Path) -> None:
    history, path = History(), tmp_path / "fast.ts"
    args = _args(events_per_flush=1, x_range=(0, 3000), y_range=(0, 100))
    with LiveScope(args, history) as scope:
        scope.start_segment(path)
        scope.wait_idle()
        for start in range(1, 601, 50):  # faster than the renderer: it lags and catches up
            feed(history, scope, start, start + 50, wait=False)
            time.sleep(0.002)
        stats = scope.close_segment()
        scope.save_still(tmp_path / "still.png")
    assert stats.frames == 600
    assert len(decoded_frames(path)) == stats.frames
    still = np.round(imread(tmp_path / "still.png") * 255).astype(int)
    reference = np.asarray(ScopePlot.from_history(args, history, blit=False).render()).astype(int)
    inked = still[..., :3].min(axis=2) < 250  # where lines cross, colours may differ: not ink
    assert np.mean(inked != (reference[..., :3].min(axis=2) < 250)) < 0.001


def _record_long_run(tmp_path: Path, name: str, sizes: list[int]) -> tuple[int, list[str]]:
    """A resumed history of 15 000 evaluations, then 15 000 more the renderer lags behind.

    Returns the frames recorded and their hashes; ``sizes`` gains each message's point count.
    """
    history, path = History(), tmp_path / f"{name}.ts"
    for opt_id in range(3):
        history.add_marker("started", 0, opt_id=opt_id, label="RandomOptimizer")
    feed(history, _Null(), 1, 15_001, wait=False)  # type: ignore[arg-type]
    history.add_marker("checkpoint", 15_000, label="c1")
    history.add_marker("resume", 15_000)
    with LiveScope(_args(events_per_flush=500), history) as scope:
        scope.start_segment(path, 0)
        feed(history, scope, 15_001, 22_001, wait=False)
        history.add_marker("killed", 22_000, opt_id=1, fx=60.0)
        feed(history, scope, 22_001, 30_001, wait=False)
        stats = scope.end_segment(30_000, last=True).result(timeout=120)
    assert sizes, "no message was seen"
    return stats.frames, frame_hashes(path)


def test_a_long_lag_reaches_the_renderer_in_bounded_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []

    def sent(fd: int, message: tuple) -> None:
        sizes.append(sum(len(ids) for ids, _ in message[1].points.values()))
        send_message(fd, message)

    monkeypatch.setattr(live, "send_message", sent)
    whole = _record_long_run(tmp_path, "whole", sizes)
    assert max(sizes) > 2000  # under the default bound, the lag travels in one message
    sizes.clear()
    monkeypatch.setattr(live, "MAX_DELTA_POINTS", 2000)
    pieces = _record_long_run(tmp_path, "pieces", sizes)
    assert max(sizes) <= 2000
    assert pieces == whole  # the same frames: 60 on the grid and the run's last one
    assert whole[0] == 61


def test_notify_point_is_cheap() -> None:
    history = History()
    with LiveScope(_args(events_per_flush=10), history) as scope:
        calls = 200_000
        start = time.perf_counter()
        for call_id in range(calls):
            scope.notify_point(0, call_id, 1.0)
        per_call = (time.perf_counter() - start) / calls
    assert per_call < 5e-6


def test_existing_segment_path_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    path.write_bytes(b"earlier segment")
    with LiveScope(_args(), History()) as scope:
        with pytest.raises(SegmentExistsError, match="exists already"):
            scope.start_segment(path)
        assert not scope.recording
        with pytest.raises(ScopeError, match="nothing to close"):
            scope.close_segment()
        scope.start_segment(tmp_path / "other.ts")
        with pytest.raises(ScopeError, match="still recording"):
            scope.start_segment(tmp_path / "third.ts")
    assert path.read_bytes() == b"earlier segment"
    assert not (tmp_path / "third.ts").exists()


def test_close_is_idempotent_and_leaves_no_process(tmp_path: Path) -> None:
    history, path = History(), tmp_path / "seg.ts"
    scope = LiveScope(_args(events_per_flush=5), history)
    scope.start_segment(path)
    feed(history, scope, 1, 23, wait=True)
    ffmpeg = ffmpeg_writing(path)
    assert len(ffmpeg) == 1
    stats = scope.close()  # the open segment is finished with its frames, up to evaluation 20
    assert stats is not None and stats.frames == 4 and stats.path == path
    assert scope.close() is None
    assert scope._proc.poll() is not None
    wait_gone([scope.renderer_pid, *ffmpeg], timeout=2)
    assert_decodes_cleanly(path)
    with pytest.raises(ScopeError):
        scope.wait_idle()


def test_a_dead_renderer_is_reported_not_hung(tmp_path: Path) -> None:
    history = History()
    scope = LiveScope(_args(), history)
    scope.start_segment(tmp_path / "seg.ts")
    os.kill(scope.renderer_pid, signal.SIGKILL)
    feed(history, scope, 1, 50, wait=False)
    with pytest.raises(ScopeError, match="renderer"):
        scope.close_segment()
    assert scope.close() is None
    wait_gone(ffmpeg_writing(tmp_path / "seg.ts"))


def test_interactive_without_display_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with LiveScope(_args(interactive_mode=True), History()) as scope:
        with pytest.warns(RuntimeWarning, match="interactive_mode"):
            scope.wait_idle()
        scope.save_still(tmp_path / "still.png")
    assert imread(tmp_path / "still.png").shape[:2] == (160, 240)


_RECORDER_SCRIPT = """
import sys, time
import numpy as np
from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.scope import live
from glompo_scope_chkpt.scope.channel import send_message
from glompo_scope_chkpt.scope.live import LiveScope
history = History()
scope = LiveScope({"events_per_flush": 2, "movie_kwargs": {"figsize": (2.4, 1.6)}}, history)
scope.start_segment(sys.argv[1])
for call_id in range(1, 81):
    history.add_point(call_id % 2, call_id, float(np.sin(call_id / 5)))
    scope.notify_point(call_id % 2, call_id, 0.0)
    if call_id % 2 == 0:
        scope.wait_idle()
print(scope.frames_drawn, scope.renderer_pid, flush=True)
time.sleep(120)
"""


def _wait_for_frames_on_disk(path: Path, frames: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while len(decoded_frames(path)) < frames:
        assert time.monotonic() < end, f"ffmpeg wrote fewer than {frames} frames in {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize("kill_all", [False, True], ids=["manager-killed", "all-killed"])
def test_sigkill_keeps_a_playable_segment(tmp_path: Path, kill_all: bool) -> None:
    path = tmp_path / "killed.ts"
    python_path = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=python_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", _RECORDER_SCRIPT, str(path)], stdout=subprocess.PIPE, env=env
    )
    try:
        frames, renderer = map(int, proc.stdout.readline().split())
        ffmpeg = ffmpeg_writing(path)
        assert frames == 40 and len(ffmpeg) == 1
        if kill_all:  # what ffmpeg has not read or written yet dies with it: wait for the disk
            _wait_for_frames_on_disk(path, frames - 1)
        victims = [proc.pid, renderer, *ffmpeg] if kill_all else [proc.pid]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        proc.wait()
        wait_gone([renderer, *ffmpeg])  # the renderer sees end of input and finishes the file
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert_decodes_cleanly(path)
    assert len(decoded_frames(path)) >= (frames - 1 if kill_all else frames)
