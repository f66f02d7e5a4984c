"""The ffmpeg child of the scope's renderer, watched from the manager's process.

When the renderer process dies, its ffmpeg (in a session of its own) reads the end of its input
and finishes the segment on its own. The manager is not its parent and cannot wait for it; yet it
must not read the segment before ffmpeg has written its last packet, and must not leave ffmpeg
running. :class:`EncoderWatch` opens a pidfd when the segment starts (Linux 5.3 and later: it names
that very process even after it exited, whatever the pid is reused for), and polls the pid
elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time

from .._logging import get_logger

__all__ = ["EncoderWatch"]

log = get_logger(__name__)

_POLL_SECONDS = 0.02


class EncoderWatch:
    """Wait for, and if need be kill, the renderer's ffmpeg ``pid`` from another process.

    Parameters
    ----------
    pid
        The ffmpeg process, alive (or not yet reaped) when the watch is made.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._ended = False
        self._fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):  # no pidfd here, or gone already
            self._fd = os.pidfd_open(pid)

    def _exited(self, timeout: float) -> bool:
        if self._fd is not None:
            return bool(select.select([self._fd], [], [], timeout)[0])
        end = time.monotonic() + timeout
        while True:
            try:
                os.kill(self.pid, 0)
            except OSError:
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(_POLL_SECONDS)

    def _kill(self) -> None:
        with contextlib.suppress(OSError):
            if self._fd is not None:
                signal.pidfd_send_signal(self._fd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)

    def end(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for ffmpeg to exit, kill it if it does not; idempotent."""
        if self._ended:
            return
        self._ended = True
        try:
            if not self._exited(timeout):
                log.error("The scope's ffmpeg (pid %d) did not finish; killing it.", self.pid)
                self._kill()
                self._exited(timeout)
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
