"""The live playlist: the timeline as HLS, played by ffmpeg mid-run, after a kill, at the end."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt._ffmpeg import ffmpeg_exe
from glompo_scope_chkpt.errors import ManifestError
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.playlist import playlist_text
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.video.probe import probe
from tests.helpers.leftovers import kill_tree, wait_for
from tests.helpers.media import make_run, make_segment, play
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import descendants

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}
DRIVER = REPO_ROOT / "tests" / "helpers" / "kill_driver.py"


def _listed(playlist: Path) -> list[str]:
    return [line for line in playlist.read_text().splitlines() if line and line[0] != "#"]


def _assert_plays_the_timeline(manifest: Manifest) -> None:
    """The playlist lists exactly the timeline, and ffmpeg plays all its frames in order."""
    playlist = manifest.folder / "movie.m3u8"
    timeline = manifest.timeline()
    assert _listed(playlist) == [record.path for record in timeline]
    text = playlist.read_text()
    joins = itertools.pairwise(timeline)
    resumed = sum(a.session != b.session or a.video.width != b.video.width for a, b in joins)
    assert text.count("#EXT-X-DISCONTINUITY\n") == resumed
    assert text.endswith("#EXT-X-ENDLIST\n") == manifest.ended
    stamps = play(playlist)
    assert len(stamps) == sum(r.video.frames for r in timeline if r.video is not None) > 0
    assert all(a < b for a, b in itertools.pairwise(stamps)), "timestamps are not increasing"


def test_the_playlist_lists_the_timeline_with_exact_durations(tmp_path):
    manifest = make_run(tmp_path)  # timeline 1, 4, 5; 2 and 3 superseded
    text = (manifest.folder / "movie.m3u8").read_text()
    assert text.startswith("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n")
    durations = [line for line in text.splitlines() if line.startswith("#EXTINF:")]
    assert durations == [
        f"#EXTINF:{r.video.duration:.6f},segment {r.index}, session {r.session}"
        + (f", checkpoint {r.checkpoint}" if r.checkpoint else "")
        for r in manifest.timeline()
        if r.video is not None
    ]
    assert "0002" not in text and "0003" not in text
    _assert_plays_the_timeline(manifest)
    manifest.ended = True
    manifest.save()
    assert json.loads(manifest.path.read_text())["ended"] is True
    assert Manifest.load(manifest.path).ended
    _assert_plays_the_timeline(manifest)


def test_a_manifest_without_ended_reads_as_live_and_a_bad_one_is_refused(tmp_path):
    manifest = make_run(tmp_path)
    assert "ended" not in json.loads(manifest.path.read_text())
    assert not Manifest.load(manifest.path).ended
    data = json.loads(manifest.path.read_text())
    data["ended"] = "yes"
    manifest.path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match="'ended' is not true or false"):
        Manifest.load(manifest.path)


def test_uris_are_relative_and_percent_encoded(tmp_path):
    folder = tmp_path / "checkpoints"
    manifest = make_run(tmp_path)
    record = manifest.timeline()[0]
    new = folder / "segments" / "a b%#.ts"
    os.replace(manifest.absolute(record), new)
    record.path = manifest.relative(new)
    assert "segments/a%20b%25%23.ts\n" in playlist_text(manifest)
    assert str(tmp_path) not in playlist_text(manifest)


def test_resume_from_an_older_checkpoint_never_lists_superseded_segments(make_manager):
    manager = make_manager(
        visualisation=True, visualisation_args=VIS, control={"checkpoint_iter_frequency": 200}
    )
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    _assert_plays_the_timeline(Manifest.load(folder))
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", visualisation_args={"movie_kwargs": {"dpi": 50}}
    )
    resumed.start_manager()
    manifest = Manifest.load(folder)
    assert [r.index for r in manifest.timeline()] == [1, 4, 5]
    assert manifest.ended
    superseded = [r.path for r in manifest.segments if r.status == "superseded"]
    assert len(superseded) == 2 and not set(superseded) & set(_listed(folder / "movie.m3u8"))
    _assert_plays_the_timeline(manifest)  # across a change of frame size


def _start(work: Path, evaluations: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(work), str(evaluations)], stdout=subprocess.PIPE
    )


def _pause(proc: subprocess.Popen, signum: int) -> None:
    for pid in [proc.pid, *descendants(proc.pid)]:
        os.kill(pid, signum)


@pytest.mark.slow
def test_the_playlist_plays_mid_run_after_a_sigkill_and_after_the_end(tmp_path):
    work = tmp_path / "job"
    playlist = work / "checkpoints" / "movie.m3u8"
    proc = _start(work, 3000)
    try:
        wait_for(lambda: playlist.exists() and len(_listed(playlist)) >= 3, proc, timeout=120)
        _pause(proc, signal.SIGSTOP)  # mid-run: the run holds still while it is played
        try:
            _assert_plays_the_timeline(Manifest.load(playlist.parent))
        finally:
            _pause(proc, signal.SIGCONT)
        wait_for(lambda: len(_listed(playlist)) >= 5, proc, timeout=120)
    finally:
        kill_tree(proc)  # a scheduler's hard kill: Python, renderer and ffmpeg at once
    killed = Manifest.load(playlist.parent)
    cut = [r for r in killed.segments if r.status == "recording"]
    made = {r.path for r in cut if killed.absolute(r).exists()}
    assert not killed.ended and cut
    _assert_plays_the_timeline(killed)
    proc = _start(work, 3000)
    out, _ = proc.communicate(timeout=300)
    assert b"RESUMED" in out and b"DONE 3000" in out
    ended = Manifest.load(playlist.parent)
    assert ended.ended
    for record in cut:  # kept as superseded when ffmpeg had made its file, else dropped
        status = {r.path: r.status for r in ended.segments}.get(record.path)
        assert status == ("superseded" if record.path in made else None), record.path
    _assert_plays_the_timeline(ended)
    stitched = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(work / "glomporecording.mp4"), "-f", "null", "-"],
        capture_output=True,
        check=True,
    )
    assert stitched.stderr == b""


def test_a_playlist_of_one_segment_has_no_discontinuity(tmp_path):
    folder = tmp_path / "checkpoints"
    make_segment(folder / "segments" / "m.0001.final.ts", 7)
    manifest = Manifest(folder)
    record = SegmentRecord(1, "segments/m.0001.final.ts", "complete", session=1)
    record.describe(probe(folder / record.path))
    manifest.add(record)
    manifest.ended = True
    manifest.save()
    _assert_plays_the_timeline(manifest)
