"""The movie shows the figure's colours: BT.709, limited range, converted and tagged so.

Judged by decoding with the ffmpeg binary, which reads the stream's tags as browsers and mpv do,
and by decoding explicitly as BT.709 (what a player assumes for HD video without tags).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from glompo_scope_chkpt._ffmpeg import ffmpeg_exe
from glompo_scope_chkpt.movie.stitch.run import stitch
from glompo_scope_chkpt.movie.video.segment_writer import SegmentWriter

WIDTH, HEIGHT, BLOCK = 320, 96, 64
COLOURS = [  # matplotlib's tab10: blue, orange, green, red, purple
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
]
TOLERANCE = 4  # levels per channel: 8-bit limited-range YUV with 4:2:0 chroma round trip


def _frame() -> bytes:
    pixels = np.full((HEIGHT, WIDTH, 4), 255, dtype=np.uint8)
    for i, colour in enumerate(COLOURS):
        pixels[:, i * BLOCK : (i + 1) * BLOCK, :3] = colour
    return pixels.tobytes()


def _segment(path: Path, fps: float = 10) -> Path:
    with SegmentWriter(path, WIDTH, HEIGHT, fps=fps).saving() as writer:
        for _ in range(5):
            writer.grab_frame(_frame())
    return path


def _decoded_colours(path: Path, vf: str | None = None) -> list[tuple[int, int, int]]:
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-frames:v", "1"]
    if vf:
        cmd += ["-vf", vf]
    raw = subprocess.run(
        [*cmd, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], capture_output=True, check=True
    ).stdout
    pixels = np.frombuffer(raw, np.uint8).reshape(HEIGHT, WIDTH, 3)
    centre = HEIGHT // 2
    return [tuple(int(v) for v in pixels[centre, i * BLOCK + BLOCK // 2]) for i in range(5)]


def _assert_true_colours(path: Path) -> None:
    for vf in (None, "scale=in_color_matrix=bt709:in_range=tv"):
        for found, wanted in zip(_decoded_colours(path, vf), COLOURS, strict=True):
            assert max(abs(a - b) for a, b in zip(found, wanted, strict=True)) <= TOLERANCE, (
                f"{path.name} decoded {found} for {wanted} (filter {vf})"
            )


def _tags(path: Path) -> tuple[str, str, str, str]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            ctx = container.streams.video[0].codec_context
            return (
                str(frame.colorspace),
                str(ctx.color_primaries),
                str(ctx.color_trc),
                str(frame.color_range),
            )
    raise AssertionError(f"{path} has no frame")


BT709_TV = ("1", "1", "1", "1")  # AVCOL_SPC/PRI/TRC_BT709, AVCOL_RANGE_MPEG


def test_a_segment_is_bt709_limited_range_and_says_so(tmp_path):
    segment = _segment(tmp_path / "seg.ts")
    assert _tags(segment) == BT709_TV
    _assert_true_colours(segment)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_stream_copy_keeps_colours_and_tags(tmp_path, suffix):
    parts = [_segment(tmp_path / f"{i}.ts") for i in range(2)]
    report = stitch(parts, tmp_path / f"movie{suffix}", mode="copy")
    assert report.frames == 10
    assert _tags(tmp_path / f"movie{suffix}") == BT709_TV
    _assert_true_colours(tmp_path / f"movie{suffix}")


def test_a_reencode_keeps_colours_and_tags(tmp_path):
    parts = [_segment(tmp_path / "a.ts", fps=10), _segment(tmp_path / "b.ts", fps=5)]
    movie = tmp_path / "movie.mp4"
    stitch(parts, movie, mode="reencode")
    assert _tags(movie) == BT709_TV
    _assert_true_colours(movie)


@pytest.mark.parametrize("suffix", [".webm", ".gif"])
def test_movies_to_share_keep_colours(tmp_path, suffix):
    """VP9 is tagged like H.264; a GIF's palette pass keeps each solid colour."""
    movie = tmp_path / f"movie{suffix}"
    stitch([_segment(tmp_path / "a.ts")], movie)
    for found, wanted in zip(_decoded_colours(movie), COLOURS, strict=True):
        assert max(abs(a - b) for a, b in zip(found, wanted, strict=True)) <= TOLERANCE, found
