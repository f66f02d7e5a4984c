"""What a checkpoint or the manifest lists is on the disk: a crash of the machine loses none of it.

The crash is real, on a real file system: a run records into an ext4 image mounted through a
loop device (``commit=600``, so only an fsync forces the journal; root only, skipped otherwise)
and is SIGKILLed after two checkpoints. The image file is then copied as it is: the loop
device has passed to it exactly what the file system wrote to its "disk", so the copy is what
a power cut at that moment would leave (file data still in the page cache, not fsynced, is not
in it). The copy is mounted (its journal replayed) and every segment its manifest lists complete
must be there whole: its size, its SHA-256, every frame decoding.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from glompo_scope_chkpt.checkpoint.archive import read_meta
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.video.probe import sha256_file
from tests.helpers.disk import run_process
from tests.helpers.media import decode


def _sh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True)


@contextlib.contextmanager
def _mounted(image: Path, where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = _sh("mount", "-o", f"loop,{options}", str(image), str(where))
    if done.returncode:
        pytest.skip(f"cannot loop-mount an ext4 image here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        _sh("umount", str(where))


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An ext4 file system in an image file, loop-mounted; yields (mount point, image)."""
    if os.geteuid() != 0:
        pytest.skip("loop-mounting an ext4 image needs root")
    if shutil.which("mkfs.ext4") is None or shutil.which("mount") is None:
        pytest.skip("needs mkfs.ext4 (e2fsprogs) and mount")
    image = tmp_path / "disk.ext4"
    with image.open("wb") as handle:
        handle.truncate(256 << 20)
    made = _sh("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode:
        pytest.skip(f"mkfs.ext4 failed: {made.stderr.strip()}")
    with _mounted(image, tmp_path / "live", "errors=remount-ro,commit=600") as live:
        yield live, image


def test_a_crash_after_a_checkpoint_loses_no_listed_segment(
    tmp_path: Path, ext4: tuple[Path, Path]
) -> None:
    live, image = ext4
    killed = run_process(work=str(live / "run"), movie=True, summary_files=3, kill_at=1200)
    assert killed.returncode == -9, killed.stderr
    time.sleep(1.0)  # the renderer notices, finishes the open segment; nothing is synced
    crashed = tmp_path / "crashed.ext4"
    shutil.copyfile(image, crashed)  # the disk as a power cut now would leave it
    with _mounted(crashed, tmp_path / "after", "errors=remount-ro") as after:
        checkpoints = after / "run" / "checkpoints"
        manifest = Manifest.load(checkpoints)
        complete = manifest.timeline()
        # ended at a checkpoint, not finished by the renderer (it lags): a resume draws them
        unfinished = [r for r in manifest.segments if r.status == "recording" and r.checkpoint]
        assert len(complete) + len(unfinished) >= 2
        for record in complete:
            file = manifest.absolute(record)
            assert file.is_file(), f"{record.path} is listed complete but gone"
            assert file.stat().st_size > 0, f"{record.path} is listed complete but empty"
            assert sha256_file(file) == record.sha256, record.path
            frames, errors = decode(file)
            assert frames == record.video.frames and errors == "", (record.path, errors)
        newest = sorted(checkpoints.glob("*.tar.gz"))[-1]
        listed = sorted(r.index for r in [*complete, *unfinished])
        assert read_meta(newest)["movie_segments"] == listed
