"""Probing movies with PyAV: exact frames without decoding, clear errors naming the file."""

from __future__ import annotations

import hashlib

import pytest

from glompo_scope_chkpt._ffmpeg import run_ffmpeg
from glompo_scope_chkpt.errors import StitchError
from glompo_scope_chkpt.movie.video.probe import probe, sha256_file
from glompo_scope_chkpt.movie.video.video_info import VideoInfo
from tests.helpers.media import decode, make_segment, truncate


@pytest.mark.parametrize(
    ("suffix", "time_base"), [(".ts", "1/90000"), (".mp4", None), (".mkv", "1/1000")]
)
def test_probe_reads_every_container(tmp_path, suffix, time_base):
    path = make_segment(tmp_path / f"clip{suffix}", 17, size=(160, 120), fps=10)
    info = probe(path)
    assert isinstance(info, VideoInfo)
    assert (info.codec, info.width, info.height, info.pix_fmt) == ("h264", 160, 120, "yuv420p")
    assert info.fps == pytest.approx(10.0)
    assert info.frames == 17 == decode(path)[0]
    assert info.duration == pytest.approx(1.7, abs=1e-6)
    assert info.size == (160, 120)
    assert not info.truncated and not info.has_audio
    if time_base is not None:
        assert info.time_base == time_base


def test_probe_other_rate_and_codec(tmp_path):
    path = make_segment(tmp_path / "m.mkv", 12, size=(96, 64), fps=25, codec="mpeg4")
    info = probe(path)
    assert (info.codec, info.frames, info.fps) == ("mpeg4", 12, 25.0)
    assert info.duration == pytest.approx(0.48, abs=1e-3)


@pytest.mark.parametrize("cut", [100, 1000, 3000])
def test_cut_transport_stream_counts_only_complete_frames(tmp_path, cut):
    path = truncate(make_segment(tmp_path / "killed.ts", 30, size=(160, 120)), cut)
    info = probe(path)
    assert info.truncated
    decoded, _ = decode(path)
    assert info.frames == decoded - 1  # the damaged last frame is not counted
    assert info.duration == pytest.approx(info.frames / 10)


def test_transport_stream_cut_on_a_packet_boundary_is_not_flagged(tmp_path):
    path = make_segment(tmp_path / "whole.ts", 20, size=(160, 120))
    assert path.stat().st_size % 188 == 0
    assert not probe(path).truncated


def test_missing_file_is_named(tmp_path):
    with pytest.raises(StitchError, match=r"nope\.ts does not exist"):
        probe(tmp_path / "nope.ts")


def test_folder_is_refused(tmp_path):
    with pytest.raises(StitchError, match="is a folder"):
        probe(tmp_path)


def test_not_a_movie_is_named(tmp_path):
    junk = tmp_path / "junk [1].mp4"
    junk.write_bytes(b"definitely not a movie" * 50)
    with pytest.raises(StitchError, match=r"junk \[1\]\.mp4.*not a movie or it is damaged"):
        probe(junk)


def test_empty_file_is_named(tmp_path):
    empty = tmp_path / "empty.ts"
    empty.write_bytes(b"")
    with pytest.raises(StitchError, match=r"empty\.ts"):
        probe(empty)


def test_audio_only_file_has_no_video_stream(tmp_path):
    sound = tmp_path / "sound.mkv"
    run_ffmpeg(
        ["-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "flac", str(sound)]
    )
    with pytest.raises(StitchError, match=r"sound\.mkv holds no video stream"):
        probe(sound)


def test_mp4_cut_by_a_kill_is_unreadable_and_named(tmp_path):
    path = truncate(make_segment(tmp_path / "cut.mp4", 20, size=(160, 120)), 400)
    with pytest.raises(StitchError, match=r"cut\.mp4"):
        probe(path)


def test_sha256_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 3_000_000)
    assert sha256_file(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    with pytest.raises(StitchError, match=r"missing\.bin"):
        sha256_file(tmp_path / "missing.bin")


@pytest.mark.parametrize("suffix", [".ts", ".mp4", ".mkv"])
@pytest.mark.parametrize("frames", [1, 2])
@pytest.mark.parametrize("fps", [10, 30])
def test_frame_rate_of_very_short_segments(tmp_path, suffix, frames, fps):
    # With few frames FFmpeg may declare H.264's field rate; the probe measures the timestamps.
    info = probe(make_segment(tmp_path / f"short{suffix}", frames, size=(64, 48), fps=fps))
    assert info.fps == pytest.approx(fps, rel=1e-3)
    assert info.frames == frames
