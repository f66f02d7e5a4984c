"""``glompo-scope-chkpt run``: starting, finishing, and refusing bad optimization files."""

from __future__ import annotations

import json
import signal
import textwrap
from pathlib import Path

import pytest

from glompo_scope_chkpt.cli import main

SPEC = """
from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.optimizers import RandomOptimizer
from glompo_scope_chkpt.selectors import CycleSelector


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
