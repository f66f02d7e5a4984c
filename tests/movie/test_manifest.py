"""The movie manifest: round trip, validation naming the file, supersede, timelines."""

from __future__ import annotations

import json

import pytest

from glompo_scope_chkpt.errors import ManifestError
from glompo_scope_chkpt.movie.manifest import MANIFEST_SCHEMA, Manifest
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.video.probe import probe, sha256_file
from glompo_scope_chkpt.movie.video.video_info import VideoInfo
from tests.helpers.media import make_run, make_segment


def _record(index: int, status: str = "complete", **kw) -> SegmentRecord:
    return SegmentRecord(index=index, path=f"segments/s.{index:04d}.ts", status=status, **kw)


def _write(folder, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / Manifest.FILENAME).write_text(text, encoding="utf-8")


def _good() -> dict:
    return {
        "schema": MANIFEST_SCHEMA,
        "version": 1,
        "outfile": "movie.mp4",
        "segments": [_record(1).to_dict()],
    }


def test_round_trip_by_file_and_by_folder(tmp_path):
    manifest = Manifest(tmp_path / "chk", "movie.mp4", working_dir="..")
    video = VideoInfo(tmp_path / "s.ts", "h264", 160, 120, "yuv420p", 10.0, "1/90000", 12, 1.2)
    manifest.add(_record(1, video=video, checkpoint="c1"))
    manifest.add(_record(2, status="recording", f_counter_start=5))
    manifest.save()
    assert manifest.path == tmp_path / "chk" / "movie_manifest.json"
    data = json.loads(manifest.path.read_text())
    assert (data["schema"], data["version"], data["outfile"]) == (MANIFEST_SCHEMA, 1, "movie.mp4")
    assert [s["index"] for s in data["segments"]] == [1, 2]
    for where in (manifest.path, manifest.folder):
        loaded = Manifest.load(where)
        assert loaded.to_dict() == manifest.to_dict()
        assert loaded.working_dir == ".."
    assert not [p for p in manifest.folder.iterdir() if ".tmp-" in p.name]


def test_missing_manifest_names_the_file_and_what_to_do(tmp_path):
    with pytest.raises(ManifestError, match=rf"No movie manifest at {tmp_path}.*record_movie"):
        Manifest.load(tmp_path)


def test_corrupt_json_names_the_file(tmp_path):
    _write(tmp_path, '{"schema": "glompo_scope_chkpt/movie_manifest", "version": 1, "segm')
    with pytest.raises(ManifestError, match=r"movie_manifest\.json.*not valid JSON.*stitch-movies"):
        Manifest.load(tmp_path)


@pytest.mark.parametrize("version", [7, True, 1.0])
def test_unknown_version_says_to_upgrade(tmp_path, version):
    _write(tmp_path, {**_good(), "version": version})
    expected = rf"movie_manifest\.json has version {version}.*upgrade"
    with pytest.raises(ManifestError, match=expected):
        Manifest.load(tmp_path)


def test_other_schema_is_refused(tmp_path):
    _write(tmp_path, {**_good(), "schema": "something/else"})
    with pytest.raises(ManifestError, match=r"movie_manifest\.json.*is not a"):
        Manifest.load(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "done"}, "status 'done'"),
        ({"path": "/etc/passwd"}, "not inside the manifest's folder"),
        ({"path": "../x.ts"}, "not inside the manifest's folder"),
        ({"index": 0}, "index that is not an integer >= 1"),
        ({"frames": True}, "frames=True"),
        ({"fps": "10"}, "fps='10'"),
        ({"fps": float("nan")}, "fps=nan"),
        ({"duration": -1.0}, "duration=-1.0"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_bad_segment_entries_name_the_file(tmp_path, change, message):
    data = _good()
    data["segments"][0].update(change)
    _write(tmp_path, data)
    with pytest.raises(ManifestError, match=rf"{tmp_path}.*movie_manifest\.json.*{message}"):
        Manifest.load(tmp_path)


def test_duplicate_index_is_refused(tmp_path):
    data = _good()
    data["segments"].append({**data["segments"][0], "path": "segments/other.ts"})
    _write(tmp_path, data)
    with pytest.raises(ManifestError, match="clashes with segment 1"):
        Manifest.load(tmp_path)
    with pytest.raises(ManifestError, match="clashes"):
        Manifest(tmp_path, segments=[_record(1), _record(1)])


def test_next_index_is_never_reused(tmp_path):
    manifest = Manifest(tmp_path)
    assert manifest.next_index() == 1
    manifest.add(_record(1))
    manifest.add(_record(2))
    manifest.supersede_except([1])
    assert manifest.next_index() == 3


def test_timeline_and_supersede_except(tmp_path):
    manifest = Manifest(tmp_path, segments=[_record(3), _record(1), _record(2, "superseded")])
    manifest.add(_record(4, "recording"))
    assert [r.index for r in manifest.timeline()] == [1, 3]
    assert [r.index for r in manifest.timeline(include_recording=True)] == [1, 3, 4]
    changed = manifest.supersede_except([1])
    assert [r.index for r in changed] == [3, 4]
    assert {r.index: r.status for r in manifest.segments} == {
        1: "complete",
        2: "superseded",
        3: "superseded",
        4: "superseded",
    }
    assert [r.index for r in manifest.timeline()] == [1]
    assert manifest.supersede_except([1]) == []


def test_get_and_absolute(tmp_path):
    manifest = Manifest(tmp_path, segments=[_record(1)])
    assert manifest.get(1).index == 1
    assert manifest.absolute(manifest.get(1)) == tmp_path / "segments" / "s.0001.ts"
    assert manifest.relative(tmp_path / "segments" / "x y.ts") == "segments/x y.ts"
    with pytest.raises(ManifestError, match="no segment 9"):
        manifest.get(9)
    with pytest.raises(ManifestError, match="not inside"):
        manifest.relative(tmp_path.parent / "elsewhere.ts")


def test_timeline_at_follows_the_f_counter_lineage(tmp_path):
    manifest = make_run(tmp_path / "run")
    assert [r.index for r in manifest.timeline()] == [1, 4, 5]
    assert [r.index for r in manifest.timeline_at("chk_001")] == [1]
    assert [r.index for r in manifest.timeline_at("chk_002")] == [1, 2]  # superseded later
    assert [r.index for r in manifest.timeline_at("chk_003")] == [1, 4]
    assert manifest.checkpoints() == ["chk_001", "chk_002", "chk_003"]
    with pytest.raises(ManifestError, match=r"checkpoint 'chk_009'.*chk_001, chk_002, chk_003"):
        manifest.timeline_at("chk_009")


def test_timeline_at_without_f_counters_uses_indices(tmp_path):
    records = [_record(1, checkpoint="a"), _record(2, "superseded"), _record(3, checkpoint="b")]
    manifest = Manifest(tmp_path, segments=[*records, _record(4)])
    assert [r.index for r in manifest.timeline_at("b")] == [1, 3]


def test_verify_files_names_the_missing_segment(tmp_path):
    manifest = make_run(tmp_path / "run")
    manifest.verify_files(checksums=True)
    lost = manifest.absolute(manifest.get(4))
    lost.rename(lost.with_suffix(".bak"))
    with pytest.raises(
        ManifestError, match=rf"{lost.name} \(segment 4 of .*\) is missing.*skip-bad"
    ):
        manifest.verify_files()


def test_verify_files_detects_changed_segment(tmp_path):
    manifest = make_run(tmp_path / "run")
    path = manifest.absolute(manifest.get(5))
    path.write_bytes(path.read_bytes()[:-188])
    with pytest.raises(ManifestError, match="does not match its checksum"):
        manifest.verify_files(checksums=True)


def test_describe(tmp_path):
    path = make_segment(tmp_path / "segments" / "s.0001.ts", 9, size=(160, 120), fps=10)
    record = _record(1, "recording")
    record.describe(probe(path))
    data = record.to_dict()
    assert (data["frames"], data["width"], data["height"], data["fps"]) == (9, 160, 120, 10.0)
    assert (data["codec"], data["pix_fmt"], data["time_base"]) == ("h264", "yuv420p", "1/90000")
    assert data["duration"] == pytest.approx(0.9)
    assert record.sha256 == sha256_file(path)


def test_load_or_new(tmp_path):
    fresh = Manifest.load_or_new(tmp_path / "chk", "a.mp4")
    assert fresh.segments == [] and not fresh.path.exists()
    fresh.add(_record(1))
    fresh.save()
    again = Manifest.load_or_new(tmp_path / "chk", "b.mp4")
    assert again.outfile == "b.mp4" and [r.index for r in again.segments] == [1]
    _write(tmp_path / "chk", "garbage")
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.load_or_new(tmp_path / "chk", "a.mp4")
