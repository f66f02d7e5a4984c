"""GloMPO's example scripts run here with only ``glompo`` replaced by ``glompo_scope_chkpt``.

The scripts in ``glompo_examples/`` are GloMPO's ``minimal.py``, ``customized.py``,
``nudging.py`` and ``twolevel.py``, written anew. Each runs in its own interpreter, with its
budget shrunk through the environment, and must end normally. Then each runs as a resumable
job (``tests.helpers.example_variant``: a ``CheckpointingControl`` and ``record_movie`` added),
is interrupted (SIGTERM, or a ``CHKPT`` file then SIGKILL), resumes in a fresh interpreter and
must leave one movie whose frames are those of its timeline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.media import assert_decodes_cleanly
from tests.helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parent / "glompo_examples"

# script: (working dir, movie name, budget, seconds of delay per evaluation in the resumable run)
RUNS = {
    "minimal": (".", "glomporecording.mp4", None, 0.004),
    "customized": ("customized_example_outputs", "distance_demo.mp4", 4000, 0.02),
    "nudging": ("nudging_example_outputs", "distance_demo.mp4", 4000, 0.02),
    "twolevel": ("twolevel_example_outputs", "glomporecording.mp4", 4000, 0.02),
}
LOGS_PROGRESS = {"customized", "nudging", "twolevel"}
"""Scripts that configure the ``glompo.manager`` logger to print progress."""


def _env(script: str, delay: float = 0.0) -> dict[str, str]:
    budget = RUNS[script][2]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    path = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env.update(PYTHONPATH=os.pathsep.join(path), MPLBACKEND="Agg")
    env["GLOMPO_EXAMPLE_DELAY"] = str(delay)
    if budget is not None:
        env["GLOMPO_EXAMPLE_MAX_CALLS"] = str(budget)
    return env


def _start(script: str, folder: Path, resumable: bool, delay: float = 0.0) -> subprocess.Popen:
    path = str(EXAMPLES / f"{script}.py")
    argv = ["-m", "tests.helpers.example_variant", path] if resumable else [path]
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=folder,
        env=_env(script, delay),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killed whole, workers and all
    )


def _finish(process: subprocess.Popen, timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit {process.returncode}\n{out[-2000:]}\n{err[-3000:]}"
    return out


@pytest.mark.parametrize("script", sorted(RUNS))
def test_the_example_script_runs_and_ends_normally(tmp_path, script):
    out = _finish(_start(script, tmp_path, resumable=False))
    assert "Best point found:" in out
    assert "\nResult\n  x: [" in out and "  fx: " in out and "  end: " in out
    if script in LOGS_PROGRESS:
        assert " glompo.manager: " in out  # GloMPO's logger name, configured by the script
    workdir = tmp_path / RUNS[script][0]
    if script != "minimal":
        assert (workdir / "glompo_log.h5").is_file() and (workdir / "trajectories.png").is_file()
    if script in ("customized", "nudging"):
        assert assert_decodes_cleanly(workdir / "distance_demo.mp4") > 0


def _wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended before {what}:\n{out[-1500:]}\n{err[-1500:]}")
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


def _segments(folder: Path) -> list[Path]:
    segments = folder / "segments"
    return [p for p in segments.iterdir() if p.stat().st_size > 0] if segments.is_dir() else []


def _interrupt(script: str, process: subprocess.Popen, workdir: Path, checkpoints: Path) -> None:
    """SIGTERM (a scheduler's warning); or a CHKPT file, then SIGKILL once it is handled."""
    _wait_for(lambda: _segments(checkpoints), process, "a movie segment")
    time.sleep(1.5)
    if script in ("minimal", "nudging"):
        process.send_signal(signal.SIGTERM)
        out = _finish(process)
        assert "Result (interrupted: resume from its checkpoint)" in out
        return
    (workdir / "CHKPT").touch()
    _wait_for(lambda: not (workdir / "CHKPT").exists(), process, "the CHKPT file handled")
    time.sleep(1.0)  # the run goes on recording: that stretch is superseded by the resume
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("script", sorted(RUNS))
def test_the_example_interrupted_and_resumed_gives_one_movie(tmp_path, script):
    folder, movie_name, _, delay = RUNS[script]
    workdir = (tmp_path / folder).resolve()
    checkpoints = workdir if script in ("customized", "nudging") else workdir / "checkpoints"
    first = _start(script, tmp_path, resumable=True, delay=delay)
    _interrupt(script, first, workdir, checkpoints)
    assert not (workdir / movie_name).exists()

    out = _finish(_start(script, tmp_path, resumable=True, delay=delay))
    assert f"Resuming from {checkpoints}" in out and "Best point found:" in out
    frames = assert_decodes_cleanly(workdir / movie_name)
    manifest = json.loads((checkpoints / "movie_manifest.json").read_text())
    timeline = [s for s in manifest["segments"] if s["status"] == "complete"]
    assert frames > 0 and frames == sum(s["frames"] for s in timeline)
    assert len({s["session"] for s in timeline}) == 2
