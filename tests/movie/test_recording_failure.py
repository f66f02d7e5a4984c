"""A recording that fails says why in ffmpeg's own words."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import FFmpegError


def test_a_failed_recording_reports_ffmpegs_error_not_an_empty_stitch(make_manager) -> None:
    manager = make_manager(
        visualisation=True,
        visualisation_args={
            "record_movie": True,
            "writer_kwargs": {"extra_args": ["-vf", "no_such_filter"]},
            "movie_kwargs": {"dpi": 40},
        },
        convergence_checker=MaxFuncCalls(300),
        control={"checkpoint_iter_frequency": 100},
    )
    with pytest.raises(FFmpegError) as caught:
        manager.start_manager()
    message = str(caught.value)
    assert "no_such_filter" in message and "stderr" in message
    assert "Nothing to stitch" not in message
