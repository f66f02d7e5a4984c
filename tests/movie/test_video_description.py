"""One description of a movie file: what the writer wrote, a probe found, the manifest records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.errors import ManifestError
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.video.probe import probe
from glompo_scope_chkpt.movie.video.segment_writer import SegmentWriter
from glompo_scope_chkpt.movie.video.video_info import VideoInfo
from glompo_scope_chkpt.scope.live import LiveScope

MANIFEST_V1 = Path(__file__).with_name("manifest_v1.json")
"""A manifest as version 0.1.0 wrote it: one complete segment, one still recording."""


def _copy_manifest(tmp_path: Path, data: dict | None = None) -> Path:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    if data is None:
        shutil.copyfile(MANIFEST_V1, folder / Manifest.FILENAME)
    else:
        (folder / Manifest.FILENAME).write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_an_existing_manifest_loads_and_is_saved_byte_for_byte(tmp_path: Path) -> None:
    folder = _copy_manifest(tmp_path)
    manifest = Manifest.load(folder)
    complete, recording = manifest.segments
    segment = folder / "segments" / "movie.0001.chk_c1.ts"
    assert complete.video == VideoInfo(
        segment, "h264", 160, 120, "yuv420p", 10.0, "1/90000", 12, 1.2
    )
    assert recording.video is None
    manifest.save()
    assert (folder / Manifest.FILENAME).read_bytes() == MANIFEST_V1.read_bytes()


def test_an_entry_with_only_part_of_the_media_fields_is_refused(tmp_path: Path) -> None:
    data = json.loads(MANIFEST_V1.read_text(encoding="utf-8"))
    data["segments"][0]["duration"] = data["segments"][0]["codec"] = None
    folder = _copy_manifest(tmp_path, data)
    with pytest.raises(ManifestError, match=r"movie_manifest\.json: segment 1 has no codec, dur"):
        Manifest.load(folder)


@pytest.mark.parametrize(
    ("codec", "extra_args"), [("mpeg4", None), ("libx264", ["-vf", "scale=64:48"])]
)
def test_the_writer_leaves_to_a_probe_what_it_cannot_know(tmp_path, codec, extra_args) -> None:
    writer = SegmentWriter(tmp_path / "s.ts", 96, 64, codec=codec, extra_args=extra_args)
    assert writer.info is None


def test_a_segment_the_writer_cannot_describe_is_probed_when_closed(tmp_path: Path) -> None:
    args = {
        "record_movie": True,
        "writer_kwargs": {"extra_args": ["-vf", "scale=120:80"]},
        "movie_kwargs": {"figsize": (2.4, 1.6), "dpi": 100},
    }
    path = tmp_path / "seg.ts"
    with LiveScope(args, History()) as scope:
        scope.start_segment(path)
        video = scope.close_segment(last=True)  # the run's last frame: one frame, no history
    assert video == probe(path)
    assert (video.path, video.size, video.frames) == (path, (120, 80), 1)
