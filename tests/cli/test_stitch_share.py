"""``stitch-movies`` for sharing: WebM, GIF, chapters, the progress bar, runs killed mid-way."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from glompo_scope_chkpt.cli.stitch_movies import main
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.stitch.chapters import read_chapters
from tests.helpers.media import decode, make_run, make_segment
from tests.helpers.paths import REPO_ROOT

TIMELINE = 12 + 14 + 11  # segments 1, 4 and 5 of tests.helpers.media.RUN_LAYOUT
COMMAND = [sys.executable, "-m", "glompo_scope_chkpt.cli.stitch_movies"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}


def test_webm_and_gif_from_a_run(tmp_path, capsys):
    make_run(tmp_path / "run")
    webm, gif = tmp_path / "run.webm", tmp_path / "run.gif"
    assert main([str(tmp_path / "run"), "-o", str(webm), "-q"]) == 0
    assert decode(webm) == (TIMELINE, "")
    assert read_chapters(webm)[0][2] == "session 1 — new run"
    assert main([str(tmp_path / "run"), "-o", str(gif), "--size", "80x60", "--fps", "5"]) == 0
    assert decode(gif)[1] == ""
    assert abs(decode(gif)[0] - TIMELINE / 2) <= 3  # 3.7 s at 5 fps
    assert "re-encoding" in capsys.readouterr().out


def test_the_default_movie_has_chapters_unless_asked_not_to(tmp_path):
    make_run(tmp_path / "run")
    movie = tmp_path / "run" / "glomporecording.mp4"
    assert main([str(tmp_path / "run"), "-q"]) == 0
    starts = [(round(start, 3), title.split(" —")[0]) for start, _, title in read_chapters(movie)]
    assert starts == [
        (0.0, "session 1"),
        (1.2, "session 2"),
        (2.6, "checkpoint chk_003 at 450 evaluations (session 2)"),
    ]
    assert main([str(tmp_path / "run"), "-q", "--force", "--no-chapters"]) == 0
    assert read_chapters(movie) == []


def test_copy_mode_into_webm_is_one_line_exit_2(tmp_path, capsys):
    a = make_segment(tmp_path / "a.ts", 5, size=(160, 120))
    assert main([str(a), "-o", str(tmp_path / "a.webm"), "--mode", "copy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "libvpx-vp9" in err[0] and "--mode reencode" in err[0]


@pytest.mark.parametrize("kind", ["empty", "missing", "headers only"])
def test_a_segment_that_never_received_a_frame_is_left_out_with_a_note(tmp_path, capsys, kind):
    """A kill right after a checkpoint: the next segment is listed but holds no frame."""
    manifest = make_run(tmp_path / "run")
    rel = "segments/glomporecording.0006.recording.ts"
    if kind == "empty":
        (manifest.folder / rel).write_bytes(b"")
    elif kind == "headers only":
        full = make_segment(tmp_path / "full.ts", 3, size=(160, 120)).read_bytes()
        (manifest.folder / rel).write_bytes(full[:376])
    manifest.add(SegmentRecord(6, rel, "recording", f_counter_start=600, session=2))
    manifest.save()
    assert main([str(tmp_path / "run")]) == 0
    assert decode(tmp_path / "run" / "glomporecording.mp4") == (TIMELINE, "")
    err = capsys.readouterr().err
    assert "segment 6" in err and "before it received a frame" in err
    assert "Errno" not in err


def test_an_unreadable_complete_segment_is_one_message_without_an_errno(tmp_path, capsys):
    manifest = make_run(tmp_path / "run")
    manifest.absolute(manifest.get(4)).write_bytes(b"not a movie at all" * 20)
    assert main([str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "0004.chk_chk_003.ts" in err[0] and "--skip-bad" in err[0]
    assert "Errno" not in err[0] and "no movie data it can read" in err[0]


def _long_inputs(tmp_path):
    return [str(make_segment(tmp_path / f"{n}.ts", 150, size=(320, 240))) for n in range(2)]


def test_the_progress_bar_is_drawn_on_a_terminal(tmp_path):
    master, slave = os.openpty()
    argv = [*COMMAND, *_long_inputs(tmp_path), "-o", str(tmp_path / "out.webm")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=_env())
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    assert b"encoding:" in seen and b"%|" in seen, seen


def test_the_progress_bar_is_quiet_in_a_pipe(tmp_path):
    argv = [*COMMAND, *_long_inputs(tmp_path), "-o", str(tmp_path / "out.webm")]
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, env=_env(), check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started > 1.0  # long enough for ffmpeg to report progress
    assert proc.stderr == b""
