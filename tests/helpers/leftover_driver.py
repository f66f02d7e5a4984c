"""A process to kill while it holds temporary files: run as a script, or import its builders.

Usage: ``python tests/helpers/leftover_driver.py COMMAND ARG...`` with COMMAND

``checkpoint WORK MB``
    start a run in WORK whose task is saved with ``checkpoint_save`` (MB megabytes of it) and
    that checkpoints at once (prints ``DONE`` when it ends);
``load CHK``
    print ``READY``, then load the newest checkpoint of CHK again and again, never stopping;
``load-once CHK [no-loader]``
    load CHK once (without a ``task_loader`` if asked); print ``LOADED`` or the error's class;
``resume CHK``
    load CHK and run the optimization to its end; print ``DONE <f_counter>``;
``hold PATH...``
    start an atomic write of each PATH, print each temporary name, then ``READY``, and sleep.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find ``tests``

import numpy as np

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt._fileio import atomic_path
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import GloMPOError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer
from tests.helpers.tasks import SavableTask

EVALUATIONS = 60


class BulkyTask(SavableTask):
    """An unpicklable task whose ``checkpoint_save`` also writes ``megabytes`` of data."""

    def __init__(self, offset: float = 0.0, megabytes: int = 0) -> None:
        super().__init__(offset)
        self.megabytes = megabytes

    def checkpoint_save(self, folder: Path) -> None:
        super().checkpoint_save(folder)
        (Path(folder) / "bulk.bin").write_bytes(np.random.bytes(self.megabytes * 2**20))


def load_bulky(folder: Path) -> BulkyTask:
    """The ``task_loader`` of :class:`BulkyTask`."""
    data = Path(folder) / "bulk.bin"
    megabytes = data.stat().st_size // 2**20 if data.exists() else 0
    return BulkyTask(float((Path(folder) / "offset.txt").read_text()), megabytes)


def build_manager(work: Path, megabytes: int, **overrides: object) -> GloMPOManager:
    """A small serial run in ``work`` that checkpoints at its start and at its end."""
    kwargs: dict[str, object] = {
        "task": BulkyTask(0.5, megabytes),
        "bounds": [(-5, 5)] * 2,
        "opt_selector": CycleSelector((RandomOptimizer, {"max_evals": 30})),
        "working_dir": work,
        "executor": "serial",
        "max_jobs": 1,
        "seed": 3,
        "convergence_checker": MaxFuncCalls(EVALUATIONS),
        "checkpoint_control": CheckpointingControl(
            checkpoint_at_init=True,
            checkpoint_at_conv=True,
            force_task_save=True,
            naming_format="chk_%(count)",
            checkpointing_dir=work / "checkpoints",
        ),
        "summary_files": 3,
    }
    kwargs.update(overrides)
    return GloMPOManager.new_manager(**kwargs)


def _hold(paths: list[str]) -> None:
    with contextlib.ExitStack() as stack:
        for path in paths:
            tmp = stack.enter_context(atomic_path(path))
            tmp.write_bytes(b"partial")
            print(tmp, flush=True)
        print("READY", flush=True)
        time.sleep(600)


def main(command: str, args: list[str]) -> None:
    if command == "checkpoint":
        build_manager(Path(args[0]), int(args[1])).start_manager()
        print("DONE", flush=True)
    elif command == "load":
        print("READY", flush=True)
        while True:
            GloMPOManager.load_manager(Path(args[0]), task_loader=load_bulky)
    elif command == "load-once":
        loader = None if args[1:] == ["no-loader"] else load_bulky
        try:
            GloMPOManager.load_manager(Path(args[0]), task_loader=loader)
        except GloMPOError as exc:
            print(type(exc).__name__, flush=True)
        else:
            print("LOADED", flush=True)
    elif command == "resume":
        result = GloMPOManager.load_manager(Path(args[0]), task_loader=load_bulky).start_manager()
        print("DONE", result.stats["f_counter"], flush=True)
    elif command == "hold":
        _hold(args)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
