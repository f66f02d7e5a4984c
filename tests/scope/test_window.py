"""The scope in a real window (an X server, Xvfb) while it records: the movie keeps its size.

Xvfb is started for the test; as root with apt-get it is installed first if missing. Skipped when
there is no way to get an X server or tkinter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator

import pytest

from glompo_scope_chkpt.core.history import History
from glompo_scope_chkpt.movie.video.probe import probe
from glompo_scope_chkpt.scope.live import LiveScope
from glompo_scope_chkpt.scope.vis_args import validate_visualisation_args
from tests.helpers.media import assert_decodes_cleanly

pytest.importorskip("tkinter", reason="the window needs tkinter")


def _xvfb() -> str | None:
    if shutil.which("Xvfb") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "xvfb"],
            capture_output=True,
            timeout=600,
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("Xvfb")


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A running X server; its display in ``DISPLAY`` and matplotlib free to pick a GUI."""
    xvfb = _xvfb()
    if xvfb is None:
        pytest.skip("no Xvfb, and it cannot be installed here")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()
    try:
        assert number, "Xvfb did not report its display"
        monkeypatch.setenv("DISPLAY", f":{number}")
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("MPLBACKEND", raising=False)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_window_shows_the_scope_and_the_movie_keeps_the_configured_size(display, tmp_path):
    args = validate_visualisation_args(
        {
            "interactive_mode": True,
            "events_per_flush": 5,
            "movie_kwargs": {"figsize": (3.2, 2.4), "dpi": 100},
        }
    )
    history, path = History(), tmp_path / "window.ts"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to off-screen drawing would warn
        with LiveScope(args, history) as scope:
            scope.start_segment(path)
            for call_id in range(1, 121):
                history.add_point(call_id % 3, call_id, 1.0 + (call_id % 17))
                scope.notify_point(call_id % 3, call_id, 0.0)
                if call_id % 20 == 0:
                    scope.wait_idle()
            stats = scope.close_segment()
            scope.save_still(tmp_path / "still.png")
    info = probe(path)
    assert (stats.width, stats.height) == (info.width, info.height) == (320, 240)
    assert assert_decodes_cleanly(path) == stats.frames >= 1
    assert (tmp_path / "still.png").stat().st_size > 0
