"""The pipe between the manager's process and the scope's renderer process.

The manager starts the renderer (:func:`spawn_renderer`) with ``subprocess``, so user scripts need
no ``if __name__ == "__main__"`` guard, and talks to it over its stdin and stdout, one message at a
time: each message is an object pickled after an 8-byte length header (:func:`send_message`,
:func:`recv_message`).
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["RENDERER_NICENESS", "recv_message", "send_message", "spawn_renderer"]

RENDERER_NICENESS = 10
"""Nice value added to the renderer process and its ffmpeg (which also run as ``SCHED_BATCH``)."""

_HEADER = struct.Struct("!Q")


def send_message(fd: int, obj: Any) -> None:
    """Write ``obj`` pickled, after an 8-byte length header, to the pipe ``fd``."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other end of the scope's pipe is closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_message(fd: int) -> Any:
    """Read one message written by :func:`send_message` from ``fd``.

    Raises
    ------
    EOFError
        If the pipe closed.
    """
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return pickle.loads(_read_exact(fd, size))


def spawn_renderer() -> subprocess.Popen:
    """Start a renderer process for this process, with pipes to its stdin and stdout."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    code = "from glompo_scope_chkpt.scope.renderer import renderer_main; renderer_main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, str(os.getpid()), str(RENDERER_NICENESS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        close_fds=True,
    )
