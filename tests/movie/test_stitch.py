"""Stitching with the real ffmpeg: copy when compatible, re-encode otherwise, always verified."""

from __future__ import annotations

import os

import pytest

from glompo_scope_chkpt.errors import StitchError
from glompo_scope_chkpt.movie.stitch.plan import StitchReport, incompatibility
from glompo_scope_chkpt.movie.stitch.run import stitch
from glompo_scope_chkpt.movie.video.probe import probe
from tests.helpers.media import decode, ffmpeg_children, make_segment, truncate

SMALL = (160, 120)
AWKWARD = ["plain.ts", "with space.ts", "it's [quoted] (1).ts", "ünïcødé ✓ 'x'.ts"]


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_compatible_segments_with_awkward_names_are_stream_copied(tmp_path):
    sizes = [12, 7, 15, 9]
    inputs = [
        make_segment(tmp_path / n, f, size=SMALL) for n, f in zip(AWKWARD, sizes, strict=True)
    ]
    out = tmp_path / "out [final] 'ü'.mp4"
    seen: list[float] = []
    report = stitch(inputs, out, progress=seen.append)
    assert isinstance(report, StitchReport)
    assert (report.mode_used, report.verified, report.output) == ("copy", True, out)
    assert report.frames == report.expected_frames == sum(sizes)
    assert report.duration == pytest.approx(sum(sizes) / 10, abs=0.01)
    assert seen == [1.0]
    assert decode(out) == (sum(sizes), "")
    assert not [n for n in _files(tmp_path) if ".tmp-" in n]
    assert ffmpeg_children() == []


def test_copy_into_mkv_from_mixed_containers_of_same_time_base(tmp_path):
    a = make_segment(tmp_path / "a.mkv", 10, size=SMALL)
    b = make_segment(tmp_path / "b.mkv", 6, size=SMALL)
    report = stitch([a, b], tmp_path / "ab.mkv", mode="copy")
    assert report.mode_used == "copy"
    assert decode(tmp_path / "ab.mkv") == (16, "")


def test_mixed_sizes_and_rates_are_reencoded_to_one_size(tmp_path):
    a = make_segment(tmp_path / "a.ts", 10, size=SMALL, fps=10)
    b = make_segment(tmp_path / "b.mp4", 10, size=(200, 150), fps=25)
    c = make_segment(tmp_path / "c.mkv", 5, size=(97, 61), fps=10, codec="mpeg4")
    seen: list[float] = []
    report = stitch([a, b, c], tmp_path / "mixed.mp4", progress=seen.append)
    assert (report.mode_used, report.verified, report.size, report.fps) == (
        "reencode", True, (200, 150), 25.0,
    )  # fmt: skip
    expected = 25 + 10 + 13  # 1.0 s + 0.4 s + 0.5 s at 25 fps
    assert abs(report.frames - expected) <= 3
    assert report.duration == pytest.approx(1.9, abs=0.15)
    frames, errors = decode(tmp_path / "mixed.mp4")
    assert (frames, errors) == (report.frames, "")
    info = probe(tmp_path / "mixed.mp4")
    assert (info.width, info.height, info.pix_fmt, info.codec) == (200, 150, "yuv420p", "h264")
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert ffmpeg_children() == []


def test_reencode_keeps_every_frame_at_one_rate(tmp_path):
    a = make_segment(tmp_path / "a.ts", 11, size=SMALL)
    b = make_segment(tmp_path / "b.ts", 9, size=(320, 240))
    report = stitch([a, b], tmp_path / "out.mp4", size=(240, 180), crf=30)
    assert (report.mode_used, report.size, report.frames, report.expected_frames) == (
        "reencode", (240, 180), 20, 20,
    )  # fmt: skip
    assert decode(tmp_path / "out.mp4") == (20, "")


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".gif"])
def test_parts_of_one_frame_in_a_row_each_keep_their_frame(tmp_path, suffix):
    """A run ended one frame after a checkpoint leaves one-frame segments side by side."""
    one = make_segment(tmp_path / "one.ts", 1, size=SMALL)
    other = make_segment(tmp_path / "other.ts", 1, size=(200, 150))
    rest = make_segment(tmp_path / "rest.ts", 12, size=(200, 150))
    out = tmp_path / f"out{suffix}"
    report = stitch([one, other, rest, one], out)
    assert (report.mode_used, report.frames, report.expected_frames) == ("reencode", 15, 15)
    assert decode(out) == (15, "")


def test_a_file_given_twice_is_stitched_twice(tmp_path):
    a = make_segment(tmp_path / "a.ts", 4, size=SMALL)
    b = make_segment(tmp_path / "b.ts", 3, size=(200, 150))
    report = stitch([a, b, a, tmp_path / "." / "a.ts"], tmp_path / "out.mp4")
    assert (report.mode_used, report.frames) == ("reencode", 15)
    assert decode(tmp_path / "out.mp4") == (15, "")
    assert stitch([a, a], tmp_path / "copied.mp4").mode_used == "copy"
    assert decode(tmp_path / "copied.mp4") == (8, "")


def test_asking_for_another_rate_reencodes(tmp_path):
    inputs = [make_segment(tmp_path / f"{i}.ts", 10, size=SMALL) for i in range(2)]
    report = stitch(inputs, tmp_path / "out.mp4", fps=20)
    assert (report.mode_used, report.fps) == ("reencode", 20.0)
    assert report.frames == pytest.approx(40, abs=2)


def test_copy_mode_refuses_incompatible_inputs_and_writes_nothing(tmp_path):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    b = make_segment(tmp_path / "b.ts", 5, size=(200, 150))
    before = _files(tmp_path)
    with pytest.raises(StitchError, match=r"b\.ts has width 200.*reencode"):
        stitch([a, b], tmp_path / "out.mp4", mode="copy")
    assert _files(tmp_path) == before


def test_incompatibility_reasons(tmp_path):
    a = probe(make_segment(tmp_path / "a.ts", 5, size=SMALL))
    b = probe(make_segment(tmp_path / "b.ts", 5, size=SMALL, fps=25))
    c = probe(make_segment(tmp_path / "c.mkv", 5, size=SMALL))
    assert incompatibility([a, a]) is None
    assert "25 fps" in incompatibility([a, b])
    assert "time_base" in incompatibility([a, c])
    assert "asked" in incompatibility([a, a], fps=12)
    assert "asked" in incompatibility([a, a], size=(320, 240))


def test_truncated_segment_in_the_middle_is_stitched_cleanly(tmp_path):
    a = make_segment(tmp_path / "a.ts", 10, size=SMALL)
    cut = truncate(make_segment(tmp_path / "killed.ts", 20, size=SMALL), 1500)
    c = make_segment(tmp_path / "c.ts", 10, size=SMALL)
    complete = probe(cut).frames
    report = stitch([a, cut, c], tmp_path / "out.mp4")
    assert report.mode_used == "copy" and report.frames == 20 + complete
    assert decode(tmp_path / "out.mp4") == (20 + complete, "")
    assert not [n for n in _files(tmp_path) if ".tmp-" in n]


def test_missing_input_is_named_and_nothing_is_written(tmp_path):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    before = _files(tmp_path)
    with pytest.raises(StitchError, match=r"gone segment\.ts does not exist"):
        stitch([a, tmp_path / "gone segment.ts"], tmp_path / "out.mp4")
    assert _files(tmp_path) == before


def test_existing_output_is_kept_without_force(tmp_path):
    inputs = [make_segment(tmp_path / f"{i}.ts", 5, size=SMALL) for i in range(2)]
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    with pytest.raises(StitchError, match=r"out\.mp4 already exists.*force"):
        stitch(inputs, out)
    assert out.read_bytes() == b"precious"
    report = stitch(inputs, out, force=True)
    assert report.verified and decode(out) == (10, "")


@pytest.mark.parametrize("same", ["path", "alias", "hardlink"])
def test_output_may_not_be_an_input(tmp_path, same):
    a = make_segment(tmp_path / "a.mkv", 5, size=SMALL)
    data = a.read_bytes()
    out = {"path": a, "alias": tmp_path / "x" / ".." / "a.mkv", "hardlink": tmp_path / "h.mkv"}
    (tmp_path / "x").mkdir()
    if same == "hardlink":
        os.link(a, out[same])
    with pytest.raises(StitchError, match="is also an input"):
        stitch([a], out[same], force=True)
    assert a.read_bytes() == data


def test_bad_requests_are_refused(tmp_path):
    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    with pytest.raises(StitchError, match=r"movie format of .*out\.avi"):
        stitch([a], tmp_path / "out.avi")
    with pytest.raises(StitchError, match="does not exist"):
        stitch([a], tmp_path / "no" / "out.mp4")
    with pytest.raises(StitchError, match="Unknown stitch mode"):
        stitch([a], tmp_path / "out.mp4", mode="fast")
    with pytest.raises(StitchError, match="Nothing to stitch"):
        stitch([], tmp_path / "out.mp4")
    assert _files(tmp_path) == ["a.ts"]


def test_interrupted_reencode_leaves_no_child_and_no_file(tmp_path):
    inputs = [make_segment(tmp_path / f"{i}.ts", 30, size=(320, 240)) for i in range(2)]
    inputs.append(make_segment(tmp_path / "big.ts", 30, size=(640, 480)))

    def stop(fraction: float) -> None:
        if fraction < 1.0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stitch(inputs, tmp_path / "out.mp4", progress=stop)
    assert ffmpeg_children() == []
    assert not (tmp_path / "out.mp4").exists()
    assert not [n for n in _files(tmp_path) if ".tmp-" in n]
