"""The movie through checkpoints: segments, manifest, overrides, kills, and the stitched result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.movie.video.probe import probe, sha256_file
from tests.helpers.media import decode, ffmpeg_children
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import descendants
from tests.helpers.tasks import SignalsAfter

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}


def _manifest(manager: GloMPOManager) -> dict:
    folder = manager.settings.checkpoint_control.checkpointing_dir
    return json.loads((folder / "movie_manifest.json").read_text())


def _segments(manifest: dict, status: str) -> list[dict]:
    return [s for s in manifest["segments"] if s["status"] == status]


def _assert_movie_is_the_timeline(movie: Path, manifest: dict) -> None:
    frames, errors = decode(movie)
    assert errors == ""
    assert frames == sum(s["frames"] for s in _segments(manifest, "complete"))


@pytest.fixture
def recorded(make_manager):
    manager = make_manager(
        visualisation=True, visualisation_args=VIS, control={"checkpoint_iter_frequency": 200}
    )
    result = manager.start_manager()
    return manager, result


def test_each_checkpoint_closes_a_playable_segment_and_the_run_stitches_them(recorded):
    manager, result = recorded
    manifest = _manifest(manager)
    complete = _segments(manifest, "complete")
    assert [s["checkpoint"] for s in complete] == ["chk_000", "chk_001", None]
    assert [s["f_counter_end"] for s in complete] == [200, 400, 600]
    for segment in complete:
        path = manager.settings.checkpoint_control.checkpointing_dir / segment["path"]
        assert segment["frames"] >= 1 and decode(path) == (segment["frames"], "")
        assert segment["sha256"] == sha256_file(path)
        info = probe(path)
        for field in ("frames", "width", "height", "fps", "codec", "pix_fmt", "time_base"):
            assert segment[field] == getattr(info, field), field
        assert segment["duration"] == pytest.approx(info.duration)
    movie = Path(result.stats["movie"])
    assert movie == manager.settings.working_dir / "glomporecording.mp4"
    _assert_movie_is_the_timeline(movie, manifest)
    assert ffmpeg_children() == []
    still = manager.settings.working_dir / "glomporecording_final.png"
    assert still.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_from_an_older_checkpoint_supersedes_later_segments_and_keeps_earlier(recorded):
    manager, _ = recorded
    folder = manager.settings.checkpoint_control.checkpointing_dir
    first = _segments(_manifest(manager), "complete")[0]
    digest = sha256_file(folder / first["path"])
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", visualisation_args={"movie_kwargs": {"dpi": 50}}
    )
    result = resumed.start_manager()
    manifest = _manifest(resumed)
    superseded = _segments(manifest, "superseded")
    assert [s["index"] for s in superseded] == [2, 3]
    assert all((folder / s["path"]).exists() for s in superseded)
    assert sha256_file(folder / first["path"]) == digest
    complete = _segments(manifest, "complete")
    assert [s["index"] for s in complete] == [1, 4, 5]
    assert complete[0]["width"] < complete[1]["width"]  # the dpi override took effect
    assert complete[1]["width"] % 2 == 0 and complete[1]["height"] % 2 == 0
    _assert_movie_is_the_timeline(Path(result.stats["movie"]), manifest)


def test_extra_args_that_resize_the_movie_are_described_from_the_file(make_manager):
    vis = {**VIS, "writer_kwargs": {"extra_args": ["-vf", "scale=96:64"]}}
    manager = make_manager(
        visualisation=True, visualisation_args=vis, control={"checkpoint_iter_frequency": 300}
    )
    result = manager.start_manager()
    manifest = _manifest(manager)
    folder = manager.settings.checkpoint_control.checkpointing_dir
    for segment in _segments(manifest, "complete"):
        info = probe(folder / segment["path"])
        assert (segment["width"], segment["height"]) == (info.width, info.height) == (96, 64)
        assert segment["frames"] == info.frames
    _assert_movie_is_the_timeline(Path(result.stats["movie"]), manifest)


def test_visualisation_can_be_switched_on_at_resume(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz",
        visualisation=True,
        visualisation_args=VIS,
    )
    result = resumed.start_manager()
    frames, errors = decode(result.stats["movie"])
    assert errors == "" and frames >= 1
    assert resumed.state.history.markers[-1].kind != "resume"
    assert any(m.kind == "resume" for m in resumed.state.history.markers)


def test_interrupted_session_does_not_stitch_and_resume_continues_the_movie(make_manager):
    manager = make_manager(
        visualisation=True,
        visualisation_args=VIS,
        convergence_checker=MaxFuncCalls(100_000),
        task=SignalsAfter(400, signal.SIGUSR1),
        control={"checkpoint_iter_frequency": 150},
    )
    result = manager.start_manager()
    assert result.interrupted and result.stats["movie"] is None
    assert not (manager.settings.working_dir / "glomporecording.mp4").exists()
    assert _segments(_manifest(manager), "recording") == []
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir,
        convergence_checker=MaxFuncCalls(result.stats["f_counter"] + 100),
    )
    final = resumed.start_manager()
    manifest = _manifest(resumed)
    assert _segments(manifest, "superseded") == []
    _assert_movie_is_the_timeline(Path(final.stats["movie"]), manifest)


_KILL_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from tests.helpers.tasks import slow_sphere
from glompo_scope_chkpt import GloMPOManager, CheckpointingControl
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.optimizers import CMAOptimizer
from glompo_scope_chkpt.opt_selectors import CycleSelector
GloMPOManager.new_manager(
    task=slow_sphere, bounds=[(-5, 5)] * 3, opt_selector=CycleSelector(CMAOptimizer),
    working_dir={work!r}, executor="serial", seed=3, convergence_checker=MaxFuncCalls(10**6),
    checkpoint_control=CheckpointingControl(checkpoint_iter_frequency=100,
        naming_format="k_%(count)", checkpointing_dir={chk!r}),
    visualisation=True, visualisation_args={vis!r},
).start_manager()
"""


def _recording_has_frames(chk: Path, after_checkpoints: int) -> bool:
    """The renderer, which lags behind the run, finished the segments ended at checkpoints and
    records the current one: the only segment listed as recording, with frames."""
    if len(list(chk.glob("k_*.tar.gz"))) < after_checkpoints:
        return False
    try:
        listed = json.loads((chk / "movie_manifest.json").read_text())["segments"]
        (segment,) = [s for s in listed if s["status"] == "recording"]
        return segment["checkpoint"] is None and probe(chk / segment["path"]).frames >= 3
    except Exception:  # being replaced, or nothing decodable written yet
        return False


@pytest.mark.slow
def test_sigkill_while_recording_keeps_the_segment_and_marks_it_superseded(tmp_path):
    work, chk = tmp_path / "run", tmp_path / "run" / "chk"
    script = _KILL_SCRIPT.format(repo=str(REPO_ROOT), work=str(work), chk=str(chk), vis=VIS)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)])
    deadline = time.monotonic() + 60
    while not _recording_has_frames(chk, after_checkpoints=2) and time.monotonic() < deadline:
        time.sleep(0.05)
    victims = [child.pid, *descendants(child.pid)]
    for pid in victims:  # like a scheduler: the whole job at once
        os.kill(pid, signal.SIGKILL)
    child.wait()
    manifest = json.loads((chk / "movie_manifest.json").read_text())
    # the segment being written at the kill: the last one with a file. A checkpoint may have
    # ended it since it was seen (the renderer had not finished it: the resume draws it again
    # and keeps this file aside), and listed a next one that has no file yet
    recording = sorted(_segments(manifest, "recording"), key=lambda s: s["index"])
    killed = [s for s in recording if (chk / s["path"]).exists()][-1]
    resumed = GloMPOManager.load_manager(chk, convergence_checker=MaxFuncCalls(350))
    result = resumed.start_manager()
    manifest = _manifest(resumed)
    superseded = [
        s
        for s in _segments(manifest, "superseded")
        if (s["session"], s["f_counter_start"]) == (killed["session"], killed["f_counter_start"])
    ]
    assert len(superseded) == 1
    killed_segment = chk / superseded[0]["path"]
    assert superseded[0]["frames"] == probe(killed_segment).frames
    frames, _ = decode(killed_segment)  # the last packet may be torn by the kill
    assert frames >= superseded[0]["frames"] - 1 >= 2
    _assert_movie_is_the_timeline(Path(result.stats["movie"]), manifest)
