"""Chapters of stitched movies, read back with ffmpeg (and Debian's ffprobe when present)."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction

import av
import pytest

from glompo_scope_chkpt._ffmpeg import ffmpeg_exe
from glompo_scope_chkpt.movie.segment_record import SegmentRecord
from glompo_scope_chkpt.movie.stitch.chapters import timeline_chapters
from glompo_scope_chkpt.movie.stitch.run import stitch
from tests.helpers.media import decode, make_run, make_segment

SMALL = (160, 120)
TITLES = [
    "session 1 — new run",
    "session 2 — resumed from chk_001 at 200 evaluations",
    "checkpoint chk_003 at 450 evaluations (session 2)",
]


def _ffmetadata_chapters(path) -> list[tuple[Fraction, str]]:
    """The chapters ``ffmpeg -i PATH -f ffmetadata -`` prints: (start in seconds, title)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    chapters: list[tuple[Fraction, str]] = []
    fields: dict[str, str] | None = None  # None: the global metadata before the first chapter
    for line in [*text.splitlines(), "[CHAPTER]"]:
        if line == "[CHAPTER]":
            if fields:
                num, den = map(int, fields["TIMEBASE"].split("/"))
                chapters.append((Fraction(int(fields["START"]) * num, den), fields["title"]))
            fields = {}
        elif "=" in line and fields is not None:
            key, _, value = line.partition("=")
            fields[key] = value
    return chapters


def _frame_times(path) -> list[Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [frame.pts * stream.time_base for frame in container.decode(stream)]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_runs_timeline_gets_a_chapter_per_session_and_checkpoint_on_exact_frames(
    tmp_path, suffix
):
    manifest = make_run(tmp_path / "run")
    records = manifest.timeline()  # segments 1, 4, 5: 12, 14 and 11 frames at 10 fps
    out = tmp_path / f"movie{suffix}"
    stitch([manifest.absolute(r) for r in records], out, chapters=timeline_chapters(records))
    assert decode(out) == (37, "")
    chapters = _ffmetadata_chapters(out)
    assert [title for _, title in chapters] == TITLES
    times = _frame_times(out)
    for (start, _), frame in zip(chapters, [0, 12, 26], strict=True):
        assert start == times[frame]  # the chapter starts on that frame exactly
    if shutil.which("ffprobe"):
        cmd = ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(out)]
        shown = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)
        assert [c["tags"]["title"] for c in shown["chapters"]] == TITLES


def test_reencoding_to_another_frame_rate_moves_chapters_to_the_nearest_frame(tmp_path):
    manifest = make_run(tmp_path / "run")
    records = manifest.timeline()
    out = tmp_path / "movie.mp4"
    files = [manifest.absolute(r) for r in records]
    stitch(files, out, mode="reencode", fps=25, chapters=timeline_chapters(records))
    chapters = _ffmetadata_chapters(out)
    times = _frame_times(out)
    assert [start for start, _ in chapters] == [times[0], times[30], times[65]]


def test_movie_files_keep_their_chapters_where_they_start(tmp_path):
    first = make_segment(tmp_path / "a.ts", 12, size=SMALL)
    second = make_segment(tmp_path / "b.ts", 14, size=SMALL)
    a, b = tmp_path / "a.mkv", tmp_path / "b.mkv"
    stitch([first], a, chapters=timeline_chapters([SegmentRecord(1, "x", session=1)]))
    stitch([first, second], b, chapters=timeline_chapters(
        [SegmentRecord(1, "x", session=1, checkpoint="c1"), SegmentRecord(2, "y", session=1)]
    ))  # fmt: skip
    out = tmp_path / "both.mp4"
    stitch([a, b], out)
    assert [(float(t), title) for t, title in _ffmetadata_chapters(out)] == [
        (0.0, "session 1 — new run"),
        (1.2, "session 1 — new run"),
        (2.4, "checkpoint c1 (session 1)"),
    ]
    stitch([a, b], tmp_path / "none.mp4", chapters=[])
    assert _ffmetadata_chapters(tmp_path / "none.mp4") == []


def test_titles_follow_sessions_and_checkpoints():
    records = [
        SegmentRecord(1, "a", session=1, checkpoint="k_1", f_counter_start=0),
        SegmentRecord(2, "b", session=1, checkpoint=None, f_counter_start=100),
        SegmentRecord(3, "c", session=1, checkpoint="k_2", f_counter_start=150),
        SegmentRecord(4, "d", session=2, checkpoint=None, f_counter_start=7200),
    ]
    marks = timeline_chapters(records)
    assert [(m.part, m.title) for m in marks] == [
        (0, "session 1 — new run"),
        (1, "checkpoint k_1 at 100 evaluations (session 1)"),
        (3, "session 2 — resumed from k_2 at 7,200 evaluations"),
    ]  # segment 3 follows a segment no checkpoint closed (a lost renderer): same chapter
