"""Making real leftovers: child processes killed while they hold temporary files.

Import from tests as ``from tests.helpers.leftovers import start_driver, kill_tree, ...``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from glompo_scope_chkpt._tempfiles import temp_owner
from tests.helpers.paths import REPO_ROOT
from tests.helpers.procs import descendants

DRIVER = REPO_ROOT / "tests" / "helpers" / "leftover_driver.py"


def start_driver(*args: object, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start ``tests/helpers/leftover_driver.py`` with ``args``; its stdout is a text pipe."""
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )


def read_until_ready(proc: subprocess.Popen) -> list[str]:
    """The lines ``proc`` printed before ``READY`` (fails if it ends first)."""
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "READY":
            return lines
        lines.append(line.strip())
    raise AssertionError(f"the process ended before it was ready: {lines}")


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc`` and every process below it at once (a scheduler's hard kill); reap it."""
    _signal([proc.pid, *descendants(proc.pid)], signal.SIGKILL)
    proc.communicate(timeout=60)


def wait_for(found: Callable[[], bool], proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll ``found`` every millisecond until it is true; fail if ``proc`` ends first."""
    end = time.monotonic() + timeout
    while not found():
        assert proc.poll() is None, "the process ended before the awaited moment"
        assert time.monotonic() < end, "the awaited moment never came"
        time.sleep(0.001)


def kill_when(found: Callable[[], bool], proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """SIGKILL ``proc``'s tree at a moment ``found`` is true; fail if ``proc`` ends first.

    Each look is taken with the tree stopped (SIGSTOP), so what was found is what the kill
    leaves: files that come and go cannot go between the look and the kill.
    """
    end = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, "the process ended before the awaited moment"
        tree = [proc.pid, *descendants(proc.pid)]
        _signal(tree, signal.SIGSTOP)
        if found():
            kill_tree(proc)
            return
        _signal(tree, signal.SIGCONT)
        assert time.monotonic() < end, "the awaited moment never came"
        time.sleep(0.001)


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def temp_names(folder: Path, pid: int | None = None) -> list[Path]:
    """The temporary files and folders of this package in ``folder`` (made by ``pid``, if given)."""
    found = []
    for path in sorted(folder.iterdir()):
        owner = temp_owner(path.name)
        if owner is not None and pid in (None, owner.pid):
            found.append(path)
    return found


@contextlib.contextmanager
def holding(*paths: Path) -> Iterator[list[Path]]:
    """A live process holding an atomic write of each of ``paths``; yield its temporary files."""
    proc = start_driver("hold", *paths)
    try:
        yield [Path(line) for line in read_until_ready(proc)]
    finally:
        kill_tree(proc)


def leave_behind(*paths: Path) -> list[Path]:
    """Temporary files of atomic writes to ``paths`` by a process killed in the middle."""
    with holding(*paths) as temporary:
        return temporary
