"""``glompo-scope-chkpt run``: starting, finishing, and refusing bad optimization files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from glompo_scope_chkpt.cli.main import main

SPEC = """
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.optimizers import RandomOptimizer
from glompo_scope_chkpt.opt_selectors import CycleSelector


def sphere(x):
    return float((x ** 2).sum())


def new_manager(working_dir, checkpointing_dir):
    return GloMPOManager.new_manager(
        task=sphere, bounds=[(-1, 1)] * 2, opt_selector=CycleSelector(RandomOptimizer),
        working_dir=working_dir, executor="serial", seed=1,
        convergence_checker=MaxFuncCalls(300), summary_files=1,
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=100, checkpointing_dir={checkpointing_dir}
        ),
    )
"""


def _spec(tmp_path: Path, checkpointing_dir: str = "checkpointing_dir") -> Path:
    path = tmp_path / "opt.py"
    path.write_text(textwrap.dedent(SPEC.format(checkpointing_dir=checkpointing_dir)))
    return path


def test_run_finishes_records_the_result_and_then_has_nothing_to_do(tmp_path, capsys):
    work = tmp_path / "run"
    handlers = [signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGTERM)]
    assert main(["run", str(_spec(tmp_path)), "--working-dir", str(work)]) == 0
    assert [signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGTERM)] == handlers
    result = json.loads((work / "glompo_result.json").read_text())
    assert result["finished"] and result["stats"]["f_counter"] == 300
    assert len(list((work / "checkpoints").glob("*.tar.gz"))) == 2
    assert "no checkpoint in" in capsys.readouterr().out
    assert main(["run", str(_spec(tmp_path)), "--working-dir", str(work)]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_a_missing_optimization_file_is_a_usage_error_that_writes_nothing(tmp_path, capsys):
    work = tmp_path / "run"
    assert main(["run", str(tmp_path / "nope.py"), "--working-dir", str(work)]) == 2
    assert "nope.py does not exist" in capsys.readouterr().err
    assert not work.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("x = 1\n", "must define new_manager"), (None, "pass the checkpointing_dir it receives")],
)
def test_an_unusable_optimization_file_is_a_usage_error(tmp_path, capsys, body, message):
    spec = _spec(tmp_path, checkpointing_dir=repr(str(tmp_path / "elsewhere")))
    if body is not None:
        spec.write_text(body)
    assert main(["run", str(spec), "--working-dir", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run" / "glompo_result.json").exists()


def test_a_spec_that_fails_to_import_is_a_usage_error(tmp_path, capsys):
    spec = tmp_path / "opt.py"
    spec.write_text("def new_manager(:\n")
    assert main(["run", str(spec), "--working-dir", str(tmp_path / "run")]) == 2
    assert "opt.py failed to import" in capsys.readouterr().err


DEAF = """
import signal
from opt import new_manager as build


def new_manager(working_dir, checkpointing_dir):
    manager = build(working_dir, checkpointing_dir)
    manager.settings.checkpoint_signals = (signal.SIGINT,)  # as a resume override could
    return manager
"""


def test_a_manager_deaf_to_the_schedulers_signals_is_refused(tmp_path, capsys):
    _spec(tmp_path)
    deaf = tmp_path / "deaf.py"
    deaf.write_text(DEAF)
    sys.path.insert(0, str(tmp_path))
    try:
        assert main(["run", str(deaf), "--working-dir", str(tmp_path / "run")]) == 2
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("opt", None)
    assert "checkpoint_signals lacks SIGUSR1, SIGTERM" in capsys.readouterr().err


SIGNAL_WHILE_BUILDING = """
import atexit, os, signal, time
atexit.register(time.sleep, 0.3)  # a slow exit: a stray redelivered signal would kill us here
from opt import new_manager as build


def new_manager(working_dir, checkpointing_dir):
    os.kill(os.getpid(), signal.SIGUSR1)  # the scheduler's warning, before the manager listens
    return build(working_dir, checkpointing_dir)
"""


def test_a_signal_before_the_run_exits_75_and_nothing_kills_the_process_afterwards(tmp_path):
    _spec(tmp_path)
    (tmp_path / "early.py").write_text(SIGNAL_WHILE_BUILDING)
    work = tmp_path / "run"
    command = [sys.executable, "-m", "glompo_scope_chkpt.cli", "run", "early.py"]
    proc = subprocess.run(
        [*command, "--working-dir", str(work)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 75, proc.stdout + proc.stderr
    assert "signalled before the run started" in proc.stdout
    assert not (work / "glompo_result.json").exists()


FAILING_CHECKPOINT = """
import os, shutil, signal
from pathlib import Path
from opt import new_manager as build


class BlockCheckpoints:
    def __init__(self, folder):
        self.folder, self.calls = Path(folder), 0

    def __call__(self, x):
        self.calls += 1
        if self.calls == 50:  # the checkpoint folder becomes a file, then the warning comes
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.write_text("not a folder")
            os.kill(os.getpid(), signal.SIGUSR1)
        return float((x ** 2).sum())


def new_manager(working_dir, checkpointing_dir):
    manager = build(working_dir, checkpointing_dir)
    manager.task = BlockCheckpoints(checkpointing_dir)
    return manager
"""


def test_a_signal_whose_checkpoint_fails_is_a_failure_not_a_requeue(tmp_path, capsys):
    _spec(tmp_path)
    (tmp_path / "failing.py").write_text(FAILING_CHECKPOINT)
    work = tmp_path / "run"
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.warns(UserWarning, match="Checkpoint failed: "):
            code = main(["run", str(tmp_path / "failing.py"), "--working-dir", str(work)])
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("opt", None)
    assert code == 1
    result = json.loads((work / "glompo_result.json").read_text())
    assert result["interrupted"] and result["stats"]["interrupt_checkpoint"] is None
    assert "its checkpoint could not be written" in result["stats"]["end_reason"]
    assert "not asking to run again" in capsys.readouterr().out
