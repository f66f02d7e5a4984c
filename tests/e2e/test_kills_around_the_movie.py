"""A job killed right after a checkpoint, or signalled while it stitches its movie, loses nothing.

``tests/helpers/kill_driver.py`` runs a recording optimization (threads, a checkpoint every 120
evaluations). A SIGKILL just after a checkpoint listed the next segment, before ffmpeg wrote a
frame of it, leaves a missing or empty segment, and segments the lagging renderer never
finished: ``stitch-movies`` makes the movie of the finished ones without flags, with a note
naming each segment left out and how to draw it.
A scheduler's time limit during the final stitch (SIGTERM, then SIGKILL after its grace time)
still leaves the summary and the plots, and ``stitch-movies`` completes the movie.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from glompo_scope_chkpt._run_files import (
    MANIFEST_FILENAME,
    SUMMARY_FILENAME,
    TRAJECTORY_BEST_FILENAME,
    TRAJECTORY_FILENAME,
)
from glompo_scope_chkpt.cli.stitch_movies import main as stitch_movies
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.stitch.chapters import read_chapters
from tests.helpers.leftovers import kill_tree, temp_names, wait_for
from tests.helpers.media import decode, make_run
from tests.helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

DRIVER = REPO_ROOT / "tests" / "helpers" / "kill_driver.py"


def _start(work: Path, evaluations: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    argv = [sys.executable, str(DRIVER), str(work), str(evaluations)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)


def _timeline_frames(work: Path) -> int:
    manifest = Manifest.load(work / "checkpoints")
    return sum(r.video.frames for r in manifest.timeline() if r.video is not None)


def _empty_segment_listed(work: Path) -> bool:
    """A segment after a checkpoint is listed as recording, and has no byte yet, while an
    earlier segment is complete with frames (the renderer, which lags, finished one)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((work / "checkpoints" / MANIFEST_FILENAME).read_text("utf-8"))
        last = data["segments"][-1]
        file = work / "checkpoints" / last["path"]
        drawn = any(s["status"] == "complete" and s["frames"] for s in data["segments"])
        return (
            drawn
            and last["status"] == "recording"
            and (not file.exists() or file.stat().st_size == 0)
        )
    return False


def _unfinished(work: Path) -> list[SegmentRecord]:
    """The segments ended at a checkpoint that the renderer had not finished at the kill."""
    manifest = Manifest.load(work / "checkpoints")
    return [r for r in manifest.segments if r.status == "recording" and r.checkpoint]


def _no_leftovers(work: Path) -> None:
    for folder in (work, work / "checkpoints", work / "checkpoints" / "segments"):
        assert temp_names(folder) == [], folder


def test_a_kill_right_after_a_checkpoint_needs_no_flag_to_stitch(tmp_path, capsys):
    work = tmp_path / "run"
    proc = _start(work, 100_000)
    wait_for(lambda: _empty_segment_listed(work), proc)
    kill_tree(proc)
    assert stitch_movies([str(work)]) == 0
    err = capsys.readouterr().err
    assert "before it received a frame" in err and "Errno" not in err
    for record in _unfinished(work):  # the renderer lagged: each is named, with the fix
        covers = f"segment {record.index} (evaluations {record.f_counter_start + 1} to "
        assert err.count(covers) == 1 and f"glompo-scope-chkpt render {work}" in err, err
    assert decode(work / "glomporecording.mp4") == (_timeline_frames(work), "")
    _no_leftovers(work)


def _unfinished_run(work: Path, unfinished: list[int]) -> None:
    """A run folder whose segments ``unfinished`` were ended at a checkpoint, never finished."""
    manifest = make_run(work)
    for index in unfinished:
        record = manifest.get(index)
        record.status, record.checkpoint = "recording", record.checkpoint or f"c_{index}"
    manifest.save()


def test_stitch_movies_leaves_out_what_the_renderer_never_finished(tmp_path, capsys):
    work = tmp_path / "run"
    _unfinished_run(work, [4, 5])
    assert stitch_movies([str(work)]) == 0
    err = capsys.readouterr().err
    assert err.count("left out") == 2 and "segment 4 (evaluations 201 to 450)" in err
    assert f"Resume the run, or run 'glompo-scope-chkpt render {work.resolve()}'" in err
    assert decode(work / "glomporecording.mp4") == (_timeline_frames(work), "")


def test_stitch_movies_with_nothing_finished_says_so(tmp_path, capsys):
    work = tmp_path / "run"
    _unfinished_run(work, [1, 4, 5])
    assert stitch_movies([str(work)]) == 2
    err = capsys.readouterr().err
    assert err.count("the renderer never finished it") == 3, err
    assert "Nothing to stitch" in err and not (work / "glomporecording.mp4").exists()


def _stitching(work: Path) -> bool:
    """The final stitch has made its work folder or its temporary movie."""
    with contextlib.suppress(OSError):
        return any("glomporecording.mp4" in path.name for path in temp_names(work))
    return False


def test_sigterm_during_the_final_stitch_finishes_it(tmp_path):
    work = tmp_path / "run"
    proc = _start(work, 400)
    wait_for(lambda: _stitching(work), proc, timeout=120)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "DONE 4" in out, out
    assert decode(work / "glomporecording.mp4") == (_timeline_frames(work), "")
    assert read_chapters(work / "glomporecording.mp4")[0][2] == "session 1 — new run"
    for name in (SUMMARY_FILENAME, TRAJECTORY_FILENAME, TRAJECTORY_BEST_FILENAME):
        assert (work / name).is_file(), name
    _no_leftovers(work)


def test_a_time_limit_during_the_final_stitch_leaves_what_stitch_movies_completes(tmp_path):
    """SIGTERM, then SIGKILL to the whole job (the scheduler's grace time ran out)."""
    work = tmp_path / "run"
    proc = _start(work, 400)
    wait_for(lambda: _stitching(work), proc, timeout=120)
    proc.send_signal(signal.SIGTERM)
    kill_tree(proc)
    for name in (SUMMARY_FILENAME, TRAJECTORY_FILENAME, TRAJECTORY_BEST_FILENAME):
        assert (work / name).is_file(), name
    assert stitch_movies([str(work), "-q", "--force"]) == 0
    assert decode(work / "glomporecording.mp4") == (_timeline_frames(work), "")
    assert len(read_chapters(work / "glomporecording.mp4")) >= 2  # the start, each checkpoint
    _no_leftovers(work)
