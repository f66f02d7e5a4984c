"""``stitch-movies`` onto a full disk: ffmpeg's own words and the disk, once, and no re-encode.

The output goes to a small tmpfs the test mounts (root only; skipped otherwise) and fills,
leaving a few KiB: enough for the work files, not for the movie.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from glompo_scope_chkpt.cli.stitch_movies import main
from tests.helpers.disk import fill, small_tmpfs
from tests.helpers.media import make_segment


@pytest.fixture
def nearly_full(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        filler = disk / "filler"
        fill(filler)
        os.truncate(filler, filler.stat().st_size - 16 * 1024)
        yield disk


@pytest.mark.parametrize(
    ("sizes", "mode"),
    [((320, 320), "auto"), ((320, 160), "auto"), ((320, 320), "reencode"), ((320, 320), "copy")],
    ids=["auto-copy", "auto-reencode", "reencode", "copy"],
)
def test_full_disk_shows_ffmpeg_and_the_disk_once(
    tmp_path: Path, nearly_full: Path, capsys: pytest.CaptureFixture[str], sizes, mode
) -> None:
    parts = [
        make_segment(tmp_path / f"{n}.ts", 60, size=(width, width * 3 // 4))
        for n, width in enumerate(sizes)
    ]
    output = nearly_full / "out.mp4"
    assert main([*map(str, parts), "-o", str(output), "--mode", mode]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("stitch-movies: error:")]
    assert len(errors) == 1, err
    assert "(no output)" not in err and "Traceback" not in err
    assert f"Writing the stitched movie {output} failed: No space left on device" in errors[0]
    assert "(ffmpeg: " in errors[0] and "No space left on device)" in errors[0]
    assert f"On the disk {nearly_full} (device tmpfs, tmpfs)" in errors[0]
    assert "re-encoding instead" not in err  # a full disk is no codec mismatch
    assert sorted(p.name for p in nearly_full.iterdir()) == ["filler"]  # no output, no leftovers
