"""What would fail the final stitch fails when the manager is set up, naming the option to fix."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import imageio_ffmpeg
import pytest

from glompo_scope_chkpt._ffmpeg import ffmpeg_exe
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args

SMALL = {"figsize": (2.4, 1.6), "dpi": 40}


def _recording(writer: dict | None = None, **movie: object) -> dict:
    return {
        "record_movie": True,
        "writer_kwargs": writer or {},
        "movie_kwargs": {**SMALL, **movie},
    }


def test_an_outfile_the_stitcher_cannot_write_is_refused(make_manager) -> None:
    expected = r"movie_kwargs\.outfile.*'rec\.avi'.*\.mp4"
    with pytest.raises(InvalidSettingError, match=expected):
        validate_visualisation_args({"movie_kwargs": {"outfile": "rec.avi"}})
    with pytest.raises(InvalidSettingError, match=expected):
        make_manager(visualisation=True, visualisation_args=_recording(outfile="rec.avi"))


@pytest.mark.parametrize(
    ("codec", "why"),
    [
        ("libvpx-vp9", "holds no readable video"),  # VP9 in MPEG-TS: written, but unreadable
        ("no_such_encoder", "Unknown encoder"),  # ffmpeg's own words
    ],
)
def test_a_codec_that_cannot_record_the_movie_is_refused_at_setup(
    make_manager, tmp_path: Path, codec: str, why: str
) -> None:
    vis = _recording({"codec": codec})
    with pytest.raises(InvalidSettingError) as caught:
        make_manager(visualisation=True, visualisation_args=vis)
    message = str(caught.value)
    assert f"visualisation_args['writer_kwargs.codec'] = '{codec}'" in message
    assert why in message and "libx264" in message
    assert not (tmp_path / "run" / "checkpoints" / "segments").exists()


_BROKEN = {
    "exits 1": "#!/bin/sh\necho 'ffmpeg: cannot load libavdevice' >&2\nexit 1\n",
    "lacks the encoder": (
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = -version ] && { echo "ffmpeg version 0.0"; exit 0; }; done\n'
        "echo \"Unknown encoder 'libx264'\" >&2\nexit 8\n"
    ),
}


@pytest.mark.parametrize("broken", sorted(_BROKEN))
def test_a_broken_ffmpeg_on_path_is_passed_over_for_the_bundled_one(
    make_manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd, broken: str
) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "ffmpeg"
    fake.write_text(_BROKEN[broken])
    fake.chmod(0o755)
    monkeypatch.delenv("GLOMPO_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = make_manager(
            visualisation=True,
            visualisation_args=_recording(),
            convergence_checker=MaxFuncCalls(60),
        )
        result = manager.start_manager()
    about_ffmpeg = [w for w in caught if str(fake) in str(w.message)]
    assert len(about_ffmpeg) == 1, [str(w.message) for w in caught]
    assert "bundled" in str(about_ffmpeg[0].message)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    assert Path(result.stats["movie"]).stat().st_size > 0
    assert str(fake) not in capfd.readouterr().err  # the renderer was told, it did not warn
