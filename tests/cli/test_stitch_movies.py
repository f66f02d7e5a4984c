"""``stitch-movies``: runs and manifests, arbitrary files, listing, safety and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from glompo_scope_chkpt.cli.stitch_movies import main
from tests.helpers.media import decode, make_run, make_segment

SMALL = (160, 120)
TIMELINE = 12 + 14 + 11  # segments 1, 4 and 5 of tests.helpers.media.RUN_LAYOUT


@pytest.fixture
def run(tmp_path):
    manifest = make_run(tmp_path / "run")
    return tmp_path / "run", manifest


def _one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("stitch-movies: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("given", ["working", "checkpoints", "manifest"])
def test_run_timeline_goes_to_the_working_dir(run, capsys, given):
    working, manifest = run
    source = {"working": working, "checkpoints": manifest.folder, "manifest": manifest.path}
    assert main([str(source[given])]) == 0
    out = working / "glomporecording.mp4"
    assert decode(out) == (TIMELINE, "")
    printed = capsys.readouterr().out
    assert str(out) in printed and "verified" in printed and f"{TIMELINE} frames" in printed


def test_default_output_without_recorded_working_dir_is_above_the_manifest(run):
    working, manifest = run
    manifest.working_dir = None
    manifest.save()
    assert main([str(manifest.folder), "-q"]) == 0
    assert (working / "glomporecording.mp4").is_file()


def test_custom_checkpointing_folder_is_found(tmp_path):
    manifest = make_run(tmp_path / "run")
    manifest.folder.rename(tmp_path / "run" / "my_chk")
    assert main([str(tmp_path / "run"), "-q"]) == 0
    assert decode(tmp_path / "run" / "glomporecording.mp4")[0] == TIMELINE


def test_from_checkpoint_and_include_superseded(run, tmp_path):
    working, _ = run
    assert main([str(working), "--from-checkpoint", "chk_002", "-o", str(tmp_path / "c2.mp4")]) == 0
    assert decode(tmp_path / "c2.mp4") == (12 + 10, "")
    assert main([str(working), "--include-superseded", "-o", str(tmp_path / "all.mp4")]) == 0
    assert decode(tmp_path / "all.mp4") == (12 + 10 + 8 + 14 + 11, "")


def test_unknown_checkpoint_is_one_line(run, capsys):
    working, _ = run
    assert main([str(working), "--from-checkpoint", "nope", "-o", "x.mp4"]) == 2
    _one_error_line(capsys.readouterr().err, "'nope'", "chk_001")


def test_list_table_and_json(run, capsys):
    working, _ = run
    assert main([str(working), "--list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["index", "status", "frames", "size", "fps", "duration", "path"]
    assert [line[0] for line in table[1:6]] == ["*", " ", " ", "*", "*"]  # stitched or not
    rows = [line[1:].split() for line in table[1:6]]
    assert rows[0][:6] == ["1", "complete", "12", "160x120", "10", "1.20"]
    assert rows[2][:3] == ["3", "superseded", "8"]
    assert main([str(working), "--json", "--from-checkpoint", "chk_003"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == str(working / "glomporecording.mp4")
    assert [s["index"] for s in data["segments"] if s["selected"]] == [1, 4]
    assert all(s["exists"] for s in data["segments"])
    assert not (working / "glomporecording.mp4").exists()


def test_arbitrary_files_with_awkward_names(tmp_path, capsys):
    a = make_segment(tmp_path / "it's a [test].mp4", 10, size=SMALL)
    b = make_segment(tmp_path / "zweite Hälfte ✓.mkv", 8, size=(200, 150), fps=25)
    out = tmp_path / "out put.mp4"
    assert main([str(a), str(b), "-o", str(out)]) == 0
    frames, errors = decode(out)
    assert errors == "" and frames == pytest.approx(25 + 8, abs=2)
    assert "re-encoding" in capsys.readouterr().out


def test_mode_copy_refused_for_mixed_files(tmp_path, capsys):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    b = make_segment(tmp_path / "b.ts", 5, size=SMALL, fps=25)
    assert main([str(a), str(b), "-o", str(tmp_path / "o.mp4"), "--mode", "copy"]) == 2
    _one_error_line(capsys.readouterr().err, "25 fps", "--mode reencode")
    assert not (tmp_path / "o.mp4").exists()


def test_reencode_options(tmp_path):
    a = make_segment(tmp_path / "a.ts", 10, size=SMALL)
    out = tmp_path / "o.mkv"
    args = [str(a), "-o", str(out), "--size", "100x80", "--fps", "5", "--crf", "35", "-q"]
    assert main(args) == 0
    assert decode(out)[0] == 5


def test_missing_segment_is_named_then_skipped(run, capsys):
    working, manifest = run
    lost = manifest.absolute(manifest.get(4))
    lost.unlink()
    assert main([str(working)]) == 2
    _one_error_line(capsys.readouterr().err, lost.name, "--skip-bad")
    assert not (working / "glomporecording.mp4").exists()
    assert main([str(working), "--skip-bad"]) == 0
    assert "skipping segment 4" in capsys.readouterr().err
    assert decode(working / "glomporecording.mp4")[0] == 12 + 11


def test_changed_segment_does_not_match_the_manifest(run, capsys):
    working, manifest = run
    make_segment(manifest.absolute(manifest.get(5)), 3, size=SMALL)
    assert main([str(working)]) == 2
    _one_error_line(capsys.readouterr().err, "3 frames", "manifest says 11")


def test_existing_output_needs_force(tmp_path, capsys):
    inputs = [str(make_segment(tmp_path / f"{i}.ts", 5, size=SMALL)) for i in range(2)]
    out = tmp_path / "o.mp4"
    out.write_bytes(b"keep me")
    assert main([*inputs, "-o", str(out)]) == 2
    _one_error_line(capsys.readouterr().err, "already exists")
    assert out.read_bytes() == b"keep me"
    assert main([*inputs, "-o", str(out), "--force", "-q"]) == 0
    assert decode(out) == (10, "")
    assert capsys.readouterr().out == ""


def test_output_is_an_input(tmp_path, capsys):
    a = make_segment(tmp_path / "a.mp4", 5, size=SMALL)
    assert main([str(a), "-o", str(a), "--force"]) == 2
    _one_error_line(capsys.readouterr().err, "also an input")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "required"),
        (["--mode", "fast", "a.ts"], "invalid choice"),
        (["--size", "big", "a.ts"], "1200x800"),
        (["a.ts", "b.ts"], "-o OUT"),
        (["run", "--from-checkpoint", "c", "--include-superseded"], "cannot be combined"),
        (["a.ts", "b.ts", "--include-superseded", "-o", "x.mp4"], "need a run or a manifest"),
    ],
)
def test_usage_errors_exit_2_in_one_line(argv, needle, capsys):
    assert main(argv) == 2
    _one_error_line(capsys.readouterr().err, needle)


def test_missing_manifest_and_corrupt_manifest(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    _one_error_line(capsys.readouterr().err, "movie_manifest.json")
    (tmp_path / "movie_manifest.json").write_text("{oops")
    assert main([str(tmp_path)]) == 2
    _one_error_line(capsys.readouterr().err, "not valid JSON")


def test_help_documents_exit_codes(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for needle in ("exit codes", "--from-checkpoint", "--skip-bad", "WORKING_DIR"):
        assert needle in text


def test_runs_as_a_module(tmp_path):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "glompo_scope_chkpt.cli.stitch_movies",
            str(a),
            "-o",
            str(tmp_path / "o.mp4"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "verified" in proc.stdout


@pytest.mark.slow
def test_manifest_of_a_real_run_with_superseded_segments(make_manager, tmp_path, capsys):
    from glompo_scope_chkpt import GloMPOManager

    vis = {"record_movie": True, "events_per_flush": 20, "movie_kwargs": {"dpi": 30}}
    manager = make_manager(
        control={"checkpoint_iter_frequency": 200}, visualisation=True, visualisation_args=vis
    )
    manager.start_manager()
    checkpoints = tmp_path / "run" / "checkpoints"
    first = sorted(checkpoints.glob("*.tar.gz"))[0]
    resumed = GloMPOManager.load_manager(
        first, visualisation_args={"movie_kwargs": {"dpi": 40}}
    )  # a bigger movie from here on
    resumed.start_manager()

    assert main([str(tmp_path / "run"), "--json"]) == 0
    segments = json.loads(capsys.readouterr().out)["segments"]
    statuses = [s["status"] for s in segments]
    assert "superseded" in statuses and "complete" in statuses
    timeline = [s for s in segments if s["selected"]]
    assert all(s["status"] == "complete" for s in timeline)

    out = tmp_path / "again.mp4"
    assert main([str(tmp_path / "run"), "-o", str(out), "-q"]) == 0
    frames, errors = decode(out)
    assert errors == "" and frames == sum(s["frames"] for s in timeline)

    everything = tmp_path / "everything.mp4"
    assert main([str(checkpoints), "--include-superseded", "-o", str(everything), "-q"]) == 0
    assert decode(everything)[0] == sum(s["frames"] for s in segments)

    name = first.name.removesuffix(".tar.gz")
    at_first = tmp_path / "at_first.mp4"
    assert main([str(checkpoints), "--from-checkpoint", name, "-o", str(at_first), "-q"]) == 0
    assert decode(at_first)[0] == segments[0]["frames"]


def test_no_ffmpeg_exits_3(tmp_path, monkeypatch, capsys):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    monkeypatch.setenv("GLOMPO_FFMPEG", str(tmp_path / "no-ffmpeg"))
    assert main([str(a), "-o", str(tmp_path / "o.mp4")]) == 3
    _one_error_line(capsys.readouterr().err, "GLOMPO_FFMPEG")
    assert not (tmp_path / "o.mp4").exists()


def test_a_crf_beyond_the_encoders_range_is_a_usage_error(tmp_path, capsys):
    inputs = [str(make_segment(tmp_path / f"{i}.ts", 5, size=SMALL)) for i in range(2)]
    out = tmp_path / "o.mp4"
    assert main([*inputs, "-o", str(out), "--mode", "reencode", "--crf", "55"]) == 2
    _one_error_line(capsys.readouterr().err, "between 0 and 51 for libx264")
    assert not out.exists()
