"""The signals a session listens to: a flag while its loop runs, held while it writes its outputs.

While the loop runs, the checkpoint signals (SIGTERM and SIGUSR1 by default) and Ctrl-C (SIGINT,
always) only set a flag; the loop checkpoints at its next pass and stops. A second Ctrl-C aborts
at once with :class:`KeyboardInterrupt` (a checkpoint being written is left unwritten, never torn).

Once the loop has stopped, the session closes the movie segment, closes the log, writes the
summaries and stitches the movie. A checkpoint signal arriving then is *held*: logged, and left
to the closing, which is what it asks for, so the outputs are written whole and the session
returns as it would have without it. Python's default for SIGTERM and SIGUSR1 would end the
process in the middle of those writes. Ctrl-C keeps its meaning there: it raises
:class:`KeyboardInterrupt` at once.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from .._logging import get_logger

__all__ = ["SignalCatcher"]

logger = get_logger(__name__)


class SignalCatcher:
    """Turns the checkpoint signals and Ctrl-C into a flag, then holds them while closing.

    Parameters
    ----------
    signals
        The checkpoint signals; SIGINT is always added.

    Notes
    -----
    Handlers can only be installed from the main thread; elsewhere nothing is installed and the
    flag is never set. :meth:`listen`, :meth:`hold` and :meth:`restore` may each be called more
    than once.
    """

    def __init__(self, signals: tuple[int, ...]) -> None:
        self.signals = tuple(dict.fromkeys((*signals, signal.SIGINT)))
        self.received: int | None = None
        """The first signal received while listening, or None."""
        self._holding = False
        self._previous: dict[int, Any] = {}

    def _install(self, signums: tuple[int, ...]) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in signums:
            previous = signal.signal(signum, self._handler)
            self._previous.setdefault(signum, previous)

    def listen(self) -> None:
        """Install the handlers: from now on a signal sets :attr:`received`."""
        self._holding = False
        self._install(self.signals)

    def hold(self) -> None:
        """From now on hold the checkpoint signals; Ctrl-C gets its previous handler back."""
        self._holding = True
        self._install(tuple(s for s in self.signals if s != signal.SIGINT))
        if signal.SIGINT in self._previous:
            signal.signal(signal.SIGINT, self._previous.pop(signal.SIGINT))

    def restore(self) -> None:
        """Put back the handlers found when they were installed."""
        while self._previous:
            signum, handler = self._previous.popitem()
            signal.signal(signum, handler)

    def _handler(self, signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if self._holding:
            logger.warning("Received %s while writing the outputs: they are finished first.", name)
        elif self.received is None:
            self.received = signum
            again = " (Ctrl-C again aborts at once)" if signum == signal.SIGINT else ""
            logger.warning("Received %s: checkpointing and stopping%s.", name, again)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
