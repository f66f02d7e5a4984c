"""Finding and waiting for the processes a test started, from Linux ``/proc``.

Import from tests as ``from tests.helpers.procs import is_running, wait_gone``.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import NamedTuple


class Process(NamedTuple):
    """One entry of ``/proc``: pid, parent pid, state letter (``Z`` for a zombie) and argv."""

    pid: int
    ppid: int
    state: str
    argv: list[str]


def _stat_fields(stat: str) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name: state, ppid, ..."""
    return stat.rsplit(")", 1)[1].split()


def processes() -> list[Process]:
    """Return every process in ``/proc``; those that vanish while being read are left out.

    ``argv`` is empty for a zombie or a kernel thread.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = _stat_fields((entry / "stat").read_text())[:2]
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        args = cmdline.removesuffix(b"\0").split(b"\0") if cmdline else []
        argv = [os.fsdecode(arg) for arg in args]
        found.append(Process(int(entry.name), int(ppid), state, argv))
    return found


def descendants(pid: int) -> list[int]:
    """Return the pids of every process below ``pid`` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for process in processes():
        children.setdefault(process.ppid, []).append(process.pid)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def is_running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie counts as gone)."""
    try:
        return _stat_fields(Path(f"/proc/{pid}/stat").read_text())[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def processes_mentioning(text: str, program: str = "") -> list[int]:
    """Pids of live processes with an argument containing ``text``.

    With ``program``, only those whose ``argv[0]`` contains ``program`` (e.g. ``"ffmpeg"``).
    """
    return [
        process.pid
        for process in processes()
        if process.state != "Z"
        and process.argv
        and program in process.argv[0]
        and any(text in arg for arg in process.argv)
    ]


def ffmpeg_writing(path: str | os.PathLike[str]) -> list[int]:
    """Pids of live ffmpeg processes whose command line names ``path``."""
    return processes_mentioning(str(path), program="ffmpeg")


def wait_gone(pids: list[int], timeout: float = 15.0) -> None:
    """Wait up to ``timeout`` seconds for every pid to exit; fail the test if some are left."""
    end = time.monotonic() + timeout
    while any(map(is_running, pids)) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(map(is_running, pids))


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``path`` exists; fail the test if ``proc`` exits or ``timeout`` s pass first."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.02)
