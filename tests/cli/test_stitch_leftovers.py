"""``stitch-movies`` removes what killed stitches and runs left in the folders it works in."""

from __future__ import annotations

import subprocess
import sys

from glompo_scope_chkpt.cli.stitch_movies import main
from tests.helpers.leftovers import holding, kill_when, leave_behind, temp_names
from tests.helpers.media import make_run, make_segment


def test_a_stitch_killed_midway_is_cleaned_up_by_the_next_stitch(tmp_path, capsys):
    work = tmp_path / "run"
    chk, segments = work / "checkpoints", work / "checkpoints" / "segments"
    make_run(work)
    big = [make_segment(tmp_path / f"big{n}.ts", 300, size=(640, 480)) for n in range(2)]
    module = "glompo_scope_chkpt.cli.stitch_movies"
    out = work / "glomporecording.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *map(str, big), "-o", str(out), "--mode", "reencode"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # killed while it writes both its movie and its work folder (the movie's temp file comes
    # and goes between ffmpeg's steps)
    kill_when(lambda: sorted(p.is_dir() for p in temp_names(work, proc.pid)) == [False, True], proc)
    left = temp_names(work, proc.pid)
    assert sorted(p.is_dir() for p in left) == [False, True], left  # the movie, the work folder
    left += leave_behind(chk / "movie_manifest.json", segments / "glomporecording.0006.final.ts")
    mine = [work / "notes.tmp", segments / "notes.tmp"]
    for path in mine:
        path.write_text("mine")
    with holding(work / "glompo_result.json") as live:
        assert main([str(work), "-v"]) == 0
        assert temp_names(work) == live
    assert temp_names(chk) == temp_names(segments) == []
    assert all(p.exists() for p in mine) and out.is_file()
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "leftover" in x]
    assert "INFO" in line and all(str(p) in line for p in left)
