"""The ffmpeg child process: end of piped input, reaping, errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from glompo_scope_chkpt._ffmpeg import ffmpeg_process
from glompo_scope_chkpt.errors import FFmpegError
from tests.helpers.media import decode, ffmpeg_children

RAW_INPUT = ["-f", "rawvideo", "-pix_fmt", "gray", "-s", "16x16", "-framerate", "5", "-i", "-"]


def test_piped_input_ends_at_the_end_of_the_block_and_the_file_is_finished(tmp_path: Path):
    out = tmp_path / "grey.ts"
    with ffmpeg_process([*RAW_INPUT, "-c:v", "libx264", str(out)], stdin=subprocess.PIPE) as proc:
        for shade in range(7):
            proc.stdin.write(bytes([shade * 30]) * 256)
    assert proc.returncode == 0
    assert decode(out) == (7, "")
    assert ffmpeg_children() == []


def test_an_error_in_the_block_stops_ffmpeg_and_propagates(tmp_path: Path):
    out = tmp_path / "grey.ts"
    with pytest.raises(KeyError), ffmpeg_process([*RAW_INPUT, str(out)], stdin=subprocess.PIPE):
        raise KeyError("caller failed")
    assert ffmpeg_children() == []


def test_a_failing_ffmpeg_raises_with_its_message(tmp_path: Path):
    with (
        pytest.raises(FFmpegError, match="No such file"),
        ffmpeg_process(["-i", str(tmp_path / "missing.ts"), "-f", "null", "-"]),
    ):
        pass
