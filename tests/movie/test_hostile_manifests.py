"""Hostile manifests: paths confined to the run folder, checksums checked, loading linear.

A manifest decides which files are read and where the movie is written, so each of its paths
must stay inside the run folder; a damaged manifest is one ``ManifestError`` (``stitch-movies``
exits 2) and nothing is written anywhere. Segments are checked against their SHA-256 before they
are stitched, so altered or swapped files are never stitched, by ``stitch-movies`` or by the
manager at the end of a run.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.cli.stitch_movies import main
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import ManifestError
from glompo_scope_chkpt.movie.confine import working_dir_entry
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.probe import probe
from tests.helpers.hostile import folder_digest
from tests.helpers.media import decode, make_run, make_segment
from tests.helpers.tasks import SignalsAfter

TIMELINE = 12 + 14 + 11  # segments 1, 4 and 5 of tests.helpers.media.RUN_LAYOUT


@pytest.fixture
def deep_run(tmp_path) -> tuple[Path, Manifest]:
    """A run folder three levels below ``tmp_path``: room for ``..`` to escape into."""
    working = tmp_path / "a" / "b" / "run"
    return working, make_run(working)


def _edit(manifest: Manifest, change) -> None:
    data = json.loads(manifest.path.read_text())
    change(data)
    manifest.path.write_text(json.dumps(data))


def _set(key: str, value: object):
    return lambda data: data.__setitem__(key, value)


def _set_path(value: object):
    return lambda data: data["segments"][0].__setitem__("path", value)


HOSTILE = {
    "working_dir up three": _set("working_dir", "../../.."),
    "working_dir absolute": _set("working_dir", "/tmp"),
    "working_dir down then up": _set("working_dir", "x/../../.."),
    "working_dir with NUL": _set("working_dir", "..\0/x"),
    "working_dir a number": _set("working_dir", 5),
    "working_dir 5000 characters": _set("working_dir", "d/" * 2500),
    "outfile up": _set("outfile", "../../evil.mp4"),
    "outfile absolute": _set("outfile", "/tmp/evil.mp4"),
    "outfile in a folder": _set("outfile", "sub/evil.mp4"),
    "outfile dot-dot": _set("outfile", ".."),
    "outfile a list": _set("outfile", ["a.mp4"]),
    "outfile name of 300 bytes": _set("outfile", "m" * 296 + ".mp4"),
    "segment up": _set_path("../../../x.ts"),
    "segment absolute": _set_path("/etc/passwd"),
    "segment with NUL": _set_path("segments/a\0.ts"),
    "segment 5000 characters": _set_path("s/" * 2500 + "x.ts"),
    "segment a number": _set_path(7),
    "index of 5000 digits": lambda data: data["segments"][0].__setitem__("index", 10**4000),
}


@pytest.mark.parametrize("change", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_path_leaving_the_run_folder_is_refused_and_nothing_is_written(
    deep_run, tmp_path, capsys, change
):
    working, manifest = deep_run
    _edit(manifest, change)
    before = folder_digest(tmp_path)
    with pytest.raises(ManifestError, match=str(manifest.path)):
        Manifest.load(manifest.path)
    for source in (manifest.folder, working):
        assert main([str(source), "--force", "-q"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(manifest.path) in err
    assert folder_digest(tmp_path) == before


@pytest.mark.parametrize(
    "text",
    ['{"segments": ' + "[" * 100_000 + "]" * 100_000 + "}", '{"version": ' + "9" * 5000 + "}"],
    ids=["nested 100,000 deep", "number of 5000 digits"],
)
def test_json_that_exhausts_the_parser_is_one_error(deep_run, capsys, text):
    working, manifest = deep_run
    manifest.path.write_text(text)
    with pytest.raises(ManifestError, match=str(manifest.path)):
        Manifest.load(manifest.path)
    assert main([str(working), "--list"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_manifest_over_64_mib_is_refused_unread(deep_run):
    _, manifest = deep_run
    with open(manifest.path, "ab") as handle:
        handle.truncate(65 << 20)
    with pytest.raises(ManifestError, match="exceeds 67108864 bytes"):
        Manifest.load(manifest.path)


def test_the_working_dir_recorded_is_inside_the_run_folder_or_none(tmp_path):
    assert working_dir_entry(tmp_path, tmp_path / "checkpoints") == ".."
    assert working_dir_entry(tmp_path / "run", tmp_path / "chk") == "../run"
    assert working_dir_entry(tmp_path, tmp_path / "a" / "b" / "checkpoints") is None
    with pytest.raises(ManifestError, match="not inside the run folder"):
        Manifest(tmp_path / "checkpoints", "m.mp4", working_dir="../..")
    made = Manifest.load_or_new(tmp_path / "checkpoints", "movies/m.mp4")
    assert made.outfile == "m.mp4"


def _same_frames_as_first(manifest: Manifest) -> None:
    """Re-record segment 4 with the frames of segment 1 and another picture; update its entry."""
    first, fourth = manifest.get(1), manifest.get(4)
    path = manifest.absolute(fourth)
    make_segment(path, first.video.frames, size=first.video.size, pattern="smptebars")
    fourth.describe(probe(path))
    manifest.save()


def test_swapped_segments_of_equal_length_are_refused_naming_them(deep_run, capsys):
    working, manifest = deep_run
    _same_frames_as_first(manifest)
    one, four = manifest.absolute(manifest.get(1)), manifest.absolute(manifest.get(4))
    one_bytes = one.read_bytes()
    one.write_bytes(four.read_bytes())
    four.write_bytes(one_bytes)
    assert main([str(working), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"segment 1 of {manifest.path}" in err and "SHA-256" in err and "--skip-bad" in err
    assert not (working / "glomporecording.mp4").exists()
    assert main([str(working), "--force", "--skip-bad", "-q"]) == 0
    assert decode(working / "glomporecording.mp4") == (11, "")  # only segment 5 is intact


def test_loading_fifty_thousand_segments_is_linear(tmp_path):
    entry = {
        "status": "complete", "frames": 10, "width": 160, "height": 120, "fps": 10,
        "codec": "h264", "pix_fmt": "yuv420p", "time_base": "1/90000", "duration": 1.0,
        "session": 1, "sha256": "0" * 64, "created": "2024-01-01T00:00:00",
    }  # fmt: skip
    segments = [
        {**entry, "index": i, "path": f"segments/m.{i:05d}.chk_c{i}.ts", "checkpoint": f"c{i}",
         "f_counter_start": 10 * (i - 1), "f_counter_end": 10 * i}
        for i in range(1, 50_001)
    ]  # fmt: skip
    data = {"schema": "glompo_scope_chkpt/movie_manifest", "version": 1, "outfile": "m.mp4"}
    (tmp_path / "movie_manifest.json").write_text(json.dumps({**data, "segments": segments}))
    start = time.monotonic()
    manifest = Manifest.load(tmp_path)
    chain = manifest.timeline_at("c50000")
    seconds = time.monotonic() - start
    assert len(chain) == 50_000 and len(manifest.timeline()) == 50_000
    assert seconds < 8, f"50,000 segments took {seconds:.1f} s to load and walk"


def test_the_manager_never_stitches_a_segment_changed_since_it_was_recorded(make_manager):
    vis = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}
    manager = make_manager(
        visualisation=True,
        visualisation_args=vis,
        convergence_checker=MaxFuncCalls(100_000),
        task=SignalsAfter(300, signal.SIGUSR1),
        control={"checkpoint_iter_frequency": 150},
    )
    result = manager.start_manager()
    assert result.interrupted
    folder = manager.settings.checkpoint_control.checkpointing_dir
    first = Manifest.load(folder).get(1)
    path = Manifest.load(folder).absolute(first)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    resumed = GloMPOManager.load_manager(
        folder, convergence_checker=MaxFuncCalls(result.stats["f_counter"] + 50)
    )
    with pytest.raises(ManifestError, match=rf"{path}.*segment 1 .*checksum"):
        resumed.start_manager()
    assert not (manager.settings.working_dir / "glomporecording.mp4").exists()
