"""A process that writes an HDF5 log and SIGKILLs itself inside one of HDF5's writes.

Usage: ``python tests/helpers/log_kill_driver.py LOG KILL_AT [RESUME_AT]``

Writes batches to the log ``LOG`` (created, or if it exists resumed from evaluation
``RESUME_AT``, default 0): each
batch starts an optimizer every third time, ends one every fifth, adds rows and a message, and
is written; ``WROTE <f_counter>`` is printed after each write that completed. HDF5's
``KILL_AT``-th write to the file (counted from 1; 0 never) is done half (its first half of
bytes reach the file) and then the process SIGKILLs itself, the way a scheduler's kill
lands in the middle of a write. Prints ``DONE`` if it never gets killed.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find ``tests``

import numpy as np

from glompo_scope_chkpt.log.undo import JournaledFile
from glompo_scope_chkpt.log.writer import OptimizationLog, read_log

KEY, N_PARAMS, BATCHES, ROWS = "kill-key", 3, 40, 7


def _kill_at(number: int) -> None:
    """Make HDF5's ``number``-th write to the log the one the kill lands in."""
    real = JournaledFile.write
    count = 0

    def write(self: JournaledFile, data: object) -> int:
        nonlocal count
        count += 1
        if count == number:
            view = memoryview(data).cast("B")  # type: ignore[arg-type]
            self._save(self._pos, self._pos + len(view))
            os.pwrite(self.fd, view[: len(view) // 2], self._pos)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, data)

    JournaledFile.write = write  # type: ignore[method-assign]


def main(path: Path, kill_at: int, resume_at: int) -> None:
    _kill_at(kill_at)
    running: list[int] = []
    if path.exists():
        log = OptimizationLog.resume(path, KEY, N_PARAMS, resume_at, "chk", buffer_rows=10_000)
        logged = read_log(path)["optimizers"]
        running = [opt_id for opt_id, opt in logged.items() if opt["attrs"]["end_call"] == -1]
        for opt_id in running:
            log.add_optimizer(opt_id, "Random", logged[opt_id]["attrs"]["start_call"], {})
    else:
        log = OptimizationLog.create(path, KEY, N_PARAMS, {}, buffer_rows=10_000)
    rng = np.random.default_rng(resume_at)
    call, next_id = resume_at, max(read_log(path)["optimizers"], default=0) + 1
    for batch in range(BATCHES):
        if batch % 3 == 0 or not running:
            log.add_optimizer(next_id, "Random", call, {"batch": batch})
            running.append(next_id)
            next_id += 1
        if batch % 5 == 4 and len(running) > 1:
            log.end_optimizer(running.pop(0), "stopped", call)
        for _ in range(ROWS):
            call += 1
            opt_id = running[call % len(running)]
            log.put_iteration(opt_id, call, rng.random(N_PARAMS), float(call))
        log.put_message(running[-1], call, f"batch {batch}")
        log.write()
        print("WROTE", call, flush=True)
    log.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    extra = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    main(Path(sys.argv[1]), int(sys.argv[2]), extra)
