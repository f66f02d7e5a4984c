"""WebM (VP9) and GIF movies for sharing, decoded by ffmpeg; encoders use the job's CPUs."""

from __future__ import annotations

import os

import av
import pytest

from glompo_scope_chkpt.movie.stitch.encoding import Encoding, job_cpus
from glompo_scope_chkpt.movie.stitch.run import stitch
from tests.helpers.media import decode, make_segment

SMALL = (160, 120)


def test_webm_is_vp9_with_every_frame(tmp_path):
    inputs = [make_segment(tmp_path / f"{n}.ts", 12 + n, size=SMALL) for n in range(2)]
    report = stitch(inputs, tmp_path / "share.webm")
    assert report.mode_used == "reencode"
    assert decode(tmp_path / "share.webm") == (25, "")
    with av.open(str(tmp_path / "share.webm")) as container:
        assert container.format.name.split(",")[0] in ("matroska", "webm")
        assert container.streams.video[0].codec_context.name == "vp9"


def test_gif_takes_a_size_and_frame_rate(tmp_path):
    inputs = [make_segment(tmp_path / f"{n}.ts", 20, size=(320, 240)) for n in range(2)]
    out = tmp_path / "share.gif"
    report = stitch(inputs, out, size=(80, 60), fps=5)
    assert decode(out) == (20, "")  # 4 s at 5 fps
    assert (report.size, report.fps) == ((80, 60), 5)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("gif", 80, 60)
    assert not list(tmp_path.glob("*.work*"))  # the palette went with the work folder


def test_the_encoder_uses_every_cpu_of_the_job(monkeypatch):
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    assert job_cpus() == len(os.sched_getaffinity(0))
    assert Encoding().options()["threads"] == job_cpus()
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    assert job_cpus() == 1
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "4096")
    assert job_cpus() == len(os.sched_getaffinity(0))
    assert Encoding(threads=3).options()["threads"] == 3


@pytest.mark.parametrize("mode", ["copy"])
def test_a_share_format_cannot_be_stream_copied(tmp_path, mode):
    from glompo_scope_chkpt.errors import StitchError

    a = make_segment(tmp_path / "a.ts", 5, size=SMALL)
    with pytest.raises(StitchError, match="libvpx-vp9"):
        stitch([a], tmp_path / "x.webm", mode=mode)
