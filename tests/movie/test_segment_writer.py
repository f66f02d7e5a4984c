"""Movie segments: written through ffmpeg, decodable, never overwriting, never leaking ffmpeg."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from glompo_scope_chkpt.errors import FFmpegError, InvalidSettingError, SegmentExistsError
from glompo_scope_chkpt.movie.video.segment_writer import SegmentWriter, codec_name
from glompo_scope_chkpt.movie.video.video_info import VideoInfo
from tests.helpers.media import assert_decodes_cleanly
from tests.helpers.procs import is_running, processes_mentioning

WIDTH, HEIGHT = 96, 64


def video_info(path: Path) -> tuple[int, int, int, str, str]:
    """Return (decoded frames, width, height, codec, pix_fmt)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        ctx = stream.codec_context
        return frames, ctx.width, ctx.height, ctx.name, ctx.pix_fmt


def frame(value: int) -> bytes:
    pixels = np.full((HEIGHT, WIDTH, 4), 255, dtype=np.uint8)
    pixels[:, : (value * 7) % WIDTH, :3] = (value * 40) % 256
    return pixels.tobytes()


def test_segment_holds_every_frame_as_h264_yuv420p(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    with SegmentWriter(path, WIDTH, HEIGHT, fps=10).saving() as writer:
        for i in range(25):
            writer.grab_frame(frame(i))
    assert writer.frames == 25 and not writer.is_open
    expected = VideoInfo(path, "h264", WIDTH, HEIGHT, "yuv420p", 10.0, "1/90000", 25, 2.5)
    assert writer.info == expected
    assert_decodes_cleanly(path)
    assert video_info(path) == (25, WIDTH, HEIGHT, "h264", "yuv420p")
    assert not processes_mentioning(str(path))


def test_close_returns_frames_and_is_idempotent(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path / "seg.ts", WIDTH, HEIGHT, fps=5, bitrate=200)
    writer.setup()
    writer.write(memoryview(frame(1)))
    assert writer.close() == 1 and writer.close() == 1
    assert "-b:v" in writer.command() and "200k" in writer.command()
    assert_decodes_cleanly(tmp_path / "seg.ts")


def test_existing_path_is_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    path.write_bytes(b"precious")
    writer = SegmentWriter(path, WIDTH, HEIGHT)
    with pytest.raises(SegmentExistsError, match="exists already"):
        writer.setup()
    with pytest.raises(FileExistsError):
        SegmentWriter(path, WIDTH, HEIGHT).setup()
    assert path.read_bytes() == b"precious" and not writer.is_open


@pytest.mark.parametrize(("width", "height"), [(95, 64), (96, 63), (0, 64)])
def test_odd_sizes_are_refused(tmp_path: Path, width: int, height: int) -> None:
    with pytest.raises(InvalidSettingError, match="even"):
        SegmentWriter(tmp_path / "seg.ts", width, height)


def test_wrong_frame_size_is_refused_and_nothing_leaks(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    with pytest.raises(InvalidSettingError, match="bytes"):  # noqa: SIM117
        with SegmentWriter(path, WIDTH, HEIGHT).saving() as writer:
            writer.write(frame(0))
            writer.write(b"short")
    assert not processes_mentioning(str(path))
    assert writer._proc is not None and writer._proc.poll() is not None
    assert_decodes_cleanly(path)  # the frame written before the error is kept


def test_an_error_in_the_block_reaps_ffmpeg(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    with pytest.raises(KeyError):  # noqa: SIM117
        with SegmentWriter(path, WIDTH, HEIGHT).saving() as writer:
            for i in range(5):
                writer.write(frame(i))
            pid = writer._proc.pid
            raise KeyError("boom")
    assert not is_running(pid)
    assert not processes_mentioning(str(path))


def test_ffmpeg_failure_raises_with_its_stderr(tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    writer = SegmentWriter(path, WIDTH, HEIGHT, extra_args=["-no_such_option", "1"])
    with pytest.raises(FFmpegError) as info:
        writer.setup()
        for i in range(200):
            writer.write(frame(i))
        writer.close()
    assert "no_such_option" in str(info.value)
    assert not writer.is_open and writer._proc.poll() is not None


def test_write_before_setup_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError, match="setup"):
        SegmentWriter(tmp_path / "seg.ts", WIDTH, HEIGHT).write(frame(0))


def test_command_uses_crash_tolerant_mpegts(tmp_path: Path) -> None:
    command = SegmentWriter(tmp_path / "s.ts", WIDTH, HEIGHT).command()
    text = " ".join(command)
    for flag in (
        "-f mpegts",
        "-tune zerolatency",
        "-preset veryfast",
        "-flush_packets 1",
        "-pix_fmt yuv420p",
        "-pix_fmt rgba",
        "-n",
    ):
        assert flag in text
    assert codec_name("libx264") == "h264" and codec_name("mpeg4") == "mpeg4"
