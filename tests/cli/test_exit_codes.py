"""Every documented exit code of ``glompo-scope-chkpt`` and ``stitch-movies`` holds, ``--version``
works on both, and a path that does not exist is said to be missing."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from glompo_scope_chkpt import __version__
from glompo_scope_chkpt._ffmpeg import run_ffmpeg
from glompo_scope_chkpt.cli import stitch_movies
from glompo_scope_chkpt.cli.main import main

COMMANDS = {
    "glompo-scope-chkpt": "glompo_scope_chkpt.cli",
    "stitch-movies": "glompo_scope_chkpt.cli.stitch_movies",
}


@pytest.mark.parametrize("prog", sorted(COMMANDS))
def test_version_prints_the_package_version(prog):
    proc = subprocess.run(
        [sys.executable, "-m", COMMANDS[prog], "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [prog, __version__]


def test_inspect_json_exits_1_for_an_unreadable_checkpoint(tmp_path, capsys):
    bad = tmp_path / "c.tar.gz"
    bad.write_bytes(b"garbage")
    assert main(["inspect", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["status"].startswith("unreadable")


def test_inspect_of_a_missing_path_says_it_is_missing(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nope'} does not exist" in err and len(err.splitlines()) == 1


SPEC = """
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.optimizers import RandomOptimizer
from glompo_scope_chkpt.opt_selectors import CycleSelector


def sphere(x):
    return float((x ** 2).sum())


def new_manager(working_dir, checkpointing_dir):
    manager = GloMPOManager.new_manager(
        task=sphere, bounds=[(-1, 1)] * 2, opt_selector=CycleSelector(RandomOptimizer),
        working_dir=working_dir, executor="serial", seed=1,
        convergence_checker=MaxFuncCalls(100), checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=50, checkpointing_dir=checkpointing_dir
        ),
    )
    return {returned}


def load_kwargs(working_dir, checkpointing_dir):
    return {load_kwargs}
"""


@pytest.mark.parametrize(
    ("returned", "load_kwargs", "message"),
    [
        ("None", "{}", "new_manager returned None, not a GloMPOManager"),
        ("manager.settings", "{}", "new_manager returned a ManagerSettings, not a GloMPOManager"),
        ("manager", "['task']", "load_kwargs returned a list, not a dict"),
    ],
)
def test_a_spec_returning_the_wrong_type_is_a_bad_file(
    tmp_path, capsys, returned, load_kwargs, message
):
    spec = tmp_path / "opt.py"
    spec.write_text(textwrap.dedent(SPEC.format(returned=returned, load_kwargs=load_kwargs)))
    work = tmp_path / "run"
    first = main(["run", str(spec), "--working-dir", str(work)])
    if returned == "manager":  # the new run works; the resume reads load_kwargs
        assert first == 0
        (work / "glompo_result.json").unlink()
        first = main(["run", str(spec), "--working-dir", str(work)])
    assert first == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (work / "glompo_result.json").exists()


def _movie(path: Path) -> Path:
    source = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10"]
    encode = ["-frames:v", "5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    run_ffmpeg(["-v", "error", "-y", *source, *encode, str(path)])
    return path


def _without_root_override() -> None:
    """In the child: drop CAP_DAC_OVERRIDE, so that even root obeys a folder's write bits."""
    if os.geteuid() == 0:
        pr_capbset_drop, cap_dac_override = 24, 1
        if ctypes.CDLL(None, use_errno=True).prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_stitching_into_an_unwritable_folder_is_bad_input(tmp_path):
    movie = _movie(tmp_path / "a.mp4")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", COMMANDS["stitch-movies"], str(movie), "-o", "locked/out.mp4"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            preexec_fn=_without_root_override,
        )
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert "locked" in proc.stderr and "not writable" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["nope"],
        ["nope.mp4"],
        ["nope.mp4", "-o", "out.mp4"],
        ["a.mp4", "nope.mkv", "-o", "out.mp4"],
        ["nope.json"],
        ["nope", "--list"],
    ],
)
def test_a_missing_input_path_is_said_to_be_missing(tmp_path, capsys, argv):
    _movie(tmp_path / "a.mp4")
    with contextlib.chdir(tmp_path):
        assert stitch_movies.main(argv) == 2
    err = capsys.readouterr().err
    missing = next(arg for arg in argv if arg.startswith("nope"))
    assert f"{missing} does not exist" in err, err
    assert len(err.splitlines()) == 1
