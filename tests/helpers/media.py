"""Test movies made by the ffmpeg binary, and decoding them to count their frames.

Import from tests as ``from tests.helpers.media import make_segment, decode``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from glompo_scope_chkpt._ffmpeg import ffmpeg_exe, run_ffmpeg
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.video.probe import probe
from tests.helpers.procs import processes

__all__ = [
    "assert_decodes_cleanly",
    "decode",
    "ffmpeg_children",
    "make_run",
    "make_segment",
    "muxer_for",
    "play",
    "truncate",
]

_MUXERS = {".ts": "mpegts", ".mp4": "mp4", ".mkv": "matroska", ".mov": "mov", ".m4v": "mp4"}


def muxer_for(path: str | os.PathLike[str]) -> str:
    """Return the ffmpeg muxer of a movie file name (by suffix)."""
    return _MUXERS[Path(path).suffix.lower()]


def make_segment(
    path: str | os.PathLike[str],
    frames: int,
    size: tuple[int, int] = (320, 240),
    fps: float = 10,
    codec: str = "libx264",
    pattern: str = "testsrc",
    extra: Sequence[str] = (),
) -> Path:
    """Encode ``frames`` frames of an ffmpeg test pattern into ``path``.

    The container follows the suffix (``.ts``, ``.mp4``, ``.mkv``, ``.mov``); x264 uses the
    ``ultrafast`` preset and yuv420p. ``extra`` holds more output options. Missing folders are
    created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    options = ["-preset", "ultrafast"] if codec in ("libx264", "libx265") else []
    source = ["-f", "lavfi", "-i", f"{pattern}=size={width}x{height}:rate={fps}"]
    encode = ["-frames:v", str(frames), "-c:v", codec, *options, "-pix_fmt", "yuv420p", *extra]
    run_ffmpeg(["-v", "error", "-y", *source, *encode, "-f", muxer_for(path), str(path)])
    return path


def decode(path: str | os.PathLike[str]) -> tuple[int, str]:
    """Decode every video frame of ``path`` with ffmpeg; return (frames decoded, error output).

    Runs ``ffmpeg -v error -i F -f null -``; the error output is empty for a clean movie.
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-progress", "pipe:1", "-i", str(path)]
    proc = subprocess.run(
        [*cmd, "-map", "0:v:0", "-f", "null", "-"], capture_output=True, check=False
    )
    frames = 0
    for line in proc.stdout.decode("ascii", "replace").splitlines():
        if line.startswith("frame="):
            frames = int(line.split("=", 1)[1])
    errors = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        errors = errors or f"ffmpeg exited with {proc.returncode}"
    return frames, errors


def frame_hashes(path: str | os.PathLike[str]) -> list[str]:
    """The MD5 of each decoded frame of ``path`` (ffmpeg's ``framemd5`` muxer), in order."""
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0"]
    proc = subprocess.run([*cmd, "-f", "framemd5", "-"], capture_output=True, check=True)
    lines = proc.stdout.decode("ascii").splitlines()
    return [line.rsplit(",", 1)[1].strip() for line in lines if line and not line.startswith("#")]


def assert_decodes_cleanly(path: str | os.PathLike[str]) -> int:
    """Decode ``path`` like :func:`decode`, fail the test on any ffmpeg error; return the frames."""
    frames, errors = decode(path)
    assert errors == "", f"{path} does not decode cleanly: {errors}"
    return frames


def play(playlist: str | os.PathLike[str]) -> list[int]:
    """Decode an HLS playlist (a file or a URL) as a player joining it would; fail on any error.

    ``-live_start_index 0`` starts a live playlist at its first segment; ``-m3u8_hold_counters
    2`` stops waiting for new segments after two reloads without any. Returns each frame's
    output timestamp.
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-live_start_index", "0"]
    cmd += ["-m3u8_hold_counters", "2", "-i", str(playlist), "-map", "0:v:0", "-f", "framemd5"]
    proc = subprocess.run([*cmd, "-"], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [int(line.split(",")[2]) for line in proc.stdout.splitlines() if line[:1].isdigit()]


def truncate(path: str | os.PathLike[str], cut: int) -> Path:
    """Cut the last ``cut`` bytes off a file, as a hard kill in mid-write would."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    return path


def ffmpeg_children() -> list[int]:
    """Return the pids of ffmpeg processes whose parent is this process (Linux /proc)."""
    me = os.getpid()
    return [
        process.pid
        for process in processes()
        if process.ppid == me and any("ffmpeg" in arg for arg in process.argv)
    ]


# (index, checkpoint closing it, f_counter range, session, status, frames)
RUN_LAYOUT = [
    (1, "chk_001", (0, 200), 1, "complete", 12),
    (2, "chk_002", (200, 400), 1, "superseded", 10),
    (3, None, (400, None), 1, "superseded", 8),
    (4, "chk_003", (200, 450), 2, "complete", 14),
    (5, None, (450, 600), 2, "complete", 11),
]
"""A run: session 1 checkpoints twice and is killed while recording segment 3; session 2
resumes from chk_001, so segments 2 and 3 are superseded; the timeline is 1, 4, 5."""


def make_run(
    working_dir: Path,
    size: tuple[int, int] = (160, 120),
    fps: float = 10,
    outfile: str = "glomporecording.mp4",
) -> Manifest:
    """Build a run folder as the manager leaves it: segments and manifest in ``checkpoints/``."""
    folder = working_dir / "checkpoints"
    (folder / "segments").mkdir(parents=True, exist_ok=True)
    manifest = Manifest(folder, outfile, working_dir="..")
    for index, checkpoint, (start, end), session, status, frames in RUN_LAYOUT:
        label = f"chk_{checkpoint}" if checkpoint else ("recording" if end is None else "final")
        rel = f"segments/{Path(outfile).stem}.{index:04d}.{label}.ts"
        make_segment(folder / rel, frames, size=size, fps=fps)
        record = SegmentRecord(
            index=index, path=rel, status=status, checkpoint=checkpoint,
            f_counter_start=start, f_counter_end=end, session=session,
        )  # fmt: skip
        if end is not None:
            record.describe(probe(folder / rel))
        manifest.add(record)
    manifest.save()
    return manifest


def read_json(path: Path) -> dict:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))
