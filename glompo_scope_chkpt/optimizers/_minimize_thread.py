"""``scipy.optimize.minimize`` run in a thread that hands out one point at a time."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["MinimizeThread"]

_STOP = object()
"""Answer that ends the run instead of giving a value."""

_WAIT_SECONDS = 1.0  # how often a wait for the thread checks that it is still alive
_JOIN_SECONDS = 5.0  # longest wait for a stopped thread to unwind


class _RunStopped(BaseException):
    """Raised inside the objective to unwind ``minimize`` (a ``BaseException``, so that no
    ``except Exception`` of the library can swallow it)."""


class MinimizeThread:
    """A daemon thread running ``minimize(f, x0, ...)`` where each call of ``f`` waits for a value.

    The owner alternates :meth:`receive` (the next point, or the end of the run) and
    :meth:`answer` (the value of that point), so the thread only computes while the owner waits
    for it, and a run is exactly reproducible. The thread keeps no reference to its owner, so
    an owner that is dropped can end it from a finalizer (:meth:`close`).

    Parameters
    ----------
    minimize
        ``scipy.optimize.minimize``, or a function with its signature.
    x0
        Start point.
    kwargs
        Further keywords for ``minimize`` (``method``, ``bounds``, ``options``).
    name
        Name of the thread.
    """

    def __init__(
        self, minimize: Callable[..., Any], x0: np.ndarray, kwargs: Mapping[str, Any], name: str
    ) -> None:
        self._messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._values: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(
            target=self._main, args=(minimize, x0.copy(), dict(kwargs)), name=name, daemon=True
        )
        self._thread.start()

    def _objective(self, x: np.ndarray) -> float:
        self._messages.put(("point", np.array(x, dtype=float)))
        value = self._values.get()
        if value is _STOP:
            raise _RunStopped
        return float(value)

    def _main(self, minimize: Callable[..., Any], x0: np.ndarray, kwargs: dict[str, Any]) -> None:
        try:
            result = minimize(self._objective, x0, **kwargs)
        except _RunStopped:
            self._messages.put(("stopped", None))
        except BaseException as exc:
            self._messages.put(("error", exc))
        else:
            self._messages.put(("done", result))

    def receive(self) -> tuple[str, Any]:
        """Wait for the thread's next message.

        Returns
        -------
        tuple
            ``("point", x)`` to evaluate, ``("done", OptimizeResult)``, ``("error", exception)``
            or ``("stopped", None)`` after :meth:`close`.
        """
        while True:
            try:
                return self._messages.get(timeout=_WAIT_SECONDS)
            except queue.Empty:
                if not self._thread.is_alive() and self._messages.empty():
                    return ("error", RuntimeError("the minimize thread ended without a word"))

    def answer(self, value: float) -> None:
        """Give the value of the point last received."""
        self._values.put(value)

    def close(self) -> None:
        """End the run and wait (a few seconds at most) for the thread to unwind."""
        if not self._thread.is_alive():
            return
        self._values.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(_JOIN_SECONDS)

    @property
    def alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread.is_alive()
