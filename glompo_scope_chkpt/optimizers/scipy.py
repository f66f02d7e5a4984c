"""scipy's ``minimize`` methods driven point by point; replayed, or restarted, after a resume."""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvalidSettingError
from ._minimize_thread import MinimizeThread
from .base import BaseOptimizer

__all__ = ["ScipyOptimizeWrapper"]

_BOUNDED = frozenset(
    {"nelder-mead", "powell", "l-bfgs-b", "tnc", "slsqp", "cobyla", "cobyqa", "trust-constr"}
)
"""Methods that take ``bounds``; the others get none, and their points are clipped."""
_NEED_GRADIENT = frozenset({"newton-cg", "dogleg", "trust-ncg", "trust-exact", "trust-krylov"})


def _import_minimize() -> Callable[..., Any]:
    try:
        from scipy.optimize import minimize
    except ImportError as exc:
        raise ImportError(
            "ScipyOptimizeWrapper needs scipy, an optional dependency: "
            "pip install 'glompo_scope_chkpt[scipy]' (or pip install scipy)."
        ) from exc
    return minimize


def _check_method(method: str | Callable[..., Any], has_jac: bool) -> str:
    """Return the name of ``method``; refuse one unknown to scipy, or needing a missing gradient."""
    if callable(method):
        return getattr(method, "__name__", repr(method))
    from scipy.optimize._minimize import MINIMIZE_METHODS

    name = str(method).lower()
    if name in _NEED_GRADIENT and not has_jac:
        raise InvalidSettingError(
            f"ScipyOptimizeWrapper: {method} needs the gradient of the task, which a black-box "
            f"task does not give; pass jac=... or use e.g. 'L-BFGS-B' (finite differences)."
        )
    if name not in MINIMIZE_METHODS:
        raise InvalidSettingError(
            f"ScipyOptimizeWrapper: unknown method {method!r}; scipy.optimize.minimize knows "
            f"{', '.join(sorted(set(MINIMIZE_METHODS) - _NEED_GRADIENT))}."
        )
    return str(method)


class ScipyOptimizeWrapper(BaseOptimizer):
    """A method of :func:`scipy.optimize.minimize` (``"Nelder-Mead"``, ``"L-BFGS-B"``, ...).

    ``minimize`` calls the task itself and cannot be paused mid-run, so it runs in a daemon
    thread whose every call of the task hands the point out through :meth:`ask` and waits for
    :meth:`tell`: one point is in flight at a time, and the thread computes only while the
    manager waits for the next point, so a run is exactly reproducible. Methods that take no
    bounds get none, and their points are clipped into the bounds (scipy is told the value of
    the clipped point). The optimizer stops when ``minimize`` returns (scipy's message is the
    reason) or once ``max_evals`` values were told.

    **Checkpoints.** The thread cannot be pickled: a pickle holds the values told so far, and
    the copy replays them through a new ``minimize`` run when it is next used. scipy's methods
    are deterministic, so the replay asks the same points and the run goes on exactly where it
    was. If it does not (scipy or a custom method computes differently in the resuming
    process), the copy warns and restarts the method from its best point so far; the value of
    the point that was in flight is still taken.

    The thread never outlives the optimizer: it ends when ``minimize`` returns, at
    ``max_evals``, on :meth:`close`, and when the optimizer is dropped (as the manager does
    with every optimizer it ends).

    Parameters
    ----------
    bounds, x0, seed
        See :class:`~glompo_scope_chkpt.optimizers.base.BaseOptimizer`; scipy's methods draw
        no random numbers, so ``seed`` only seeds :attr:`rng`.
    method
        A method name of ``scipy.optimize.minimize``, or a custom method (a callable, as scipy
        accepts). Methods that need the task's gradient are refused unless ``jac`` is given.
    max_evals
        Evaluations after which the optimizer stops.
    options
        scipy's ``options`` for the method (e.g. ``{"xatol": 1e-6}`` for Nelder-Mead).
    jac
        The task's gradient, ``jac(x) -> array``, passed to ``minimize`` (GloMPO users give it
        as a call keyword); it runs in the optimizer's thread and must be picklable.

    Raises
    ------
    ImportError
        If scipy is not installed.
    InvalidSettingError
        If ``method`` is unknown or needs a gradient, or ``max_evals < 1``.
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        x0: Sequence[float],
        seed: int | None = None,
        method: str | Callable[..., Any] = "Nelder-Mead",
        max_evals: int = 1000,
        options: Mapping[str, Any] | None = None,
        jac: Callable[[np.ndarray], Any] | None = None,
    ) -> None:
        _import_minimize()
        super().__init__(bounds, x0, seed)
        self.name = _check_method(method, jac is not None)
        self.jac = jac
        if max_evals < 1:
            raise InvalidSettingError(
                f"ScipyOptimizeWrapper: max_evals must be >= 1, got {max_evals}."
            )
        self.method, self.max_evals, self.options = method, int(max_evals), dict(options or {})
        self.best_x: np.ndarray | None = None
        self.best_fx = math.inf
        self._start = self.x0.copy()
        self._told: list[tuple[np.ndarray, float]] = []
        self._in_flight: np.ndarray | None = None
        self._next: np.ndarray | None = None
        self._orphan: np.ndarray | None = None
        self._end: str | None = None
        self._replay = False
        self._thread: MinimizeThread | None = None
        self._finalizer: weakref.finalize | None = None
        self._start_run()

    # ------------------------------------------------------------------------ the thread
    def _start_run(self) -> None:
        kwargs: dict[str, Any] = {"method": self.method, "options": self.options}
        if self.jac is not None:
            kwargs["jac"] = self.jac
        if callable(self.method) or self.name.lower() in _BOUNDED:
            kwargs["bounds"] = [tuple(row) for row in self.bounds]
        thread = MinimizeThread(_import_minimize(), self._start, kwargs, f"minimize-{self.name}")
        self._thread, self._finalizer = thread, weakref.finalize(self, thread.close)
        self._receive()

    def _receive(self) -> None:
        """Take the thread's next point, or the end of its run."""
        assert self._thread is not None
        kind, payload = self._thread.receive()
        if kind == "point":
            self._next = np.clip(payload, self.bounds[:, 0], self.bounds[:, 1])
            return
        self._stop_thread()
        if kind == "done":
            self._end = f"scipy {self.name}: {payload.message}"
        elif kind == "error":
            self._end = f"scipy {self.name} raised {payload!r}"
            raise RuntimeError(f"ScipyOptimizeWrapper: {self._end}") from payload

    def _stop_thread(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # ends the thread, once
        self._thread, self._finalizer = None, None

    def close(self) -> None:
        """End the ``minimize`` thread now; the optimizer then stops with reason ``closed``."""
        self._stop_thread()
        self._replay = False
        self._end = self._end or "closed"

    # ------------------------------------------------------------------------- ask and tell
    def _ask(self) -> np.ndarray | None:
        self._resume()
        if self._in_flight is not None or self._next is None:
            return None
        self._in_flight, self._next = self._next, None
        return self._in_flight.copy()

    def _tell(self, x: np.ndarray, fx: float) -> None:
        self._resume()
        value = fx if not math.isnan(fx) else math.inf
        if self._in_flight is not None and x.tobytes() == self._in_flight.tobytes():
            self._in_flight = None
            self._take(x, value)
            if self.n_told + 1 >= self.max_evals:
                self._stop_thread()
                return
            self._answer(x, value)
        elif self._orphan is not None and x.tobytes() == self._orphan.tobytes():
            self._orphan = None
            self._take(x, value)
        else:
            raise ValueError("ScipyOptimizeWrapper.tell: x is not the point in flight.")

    def _take(self, x: np.ndarray, value: float) -> None:
        if value < self.best_fx:
            self.best_x, self.best_fx = x.copy(), value

    def _answer(self, x: np.ndarray, value: float) -> None:
        assert self._thread is not None
        self._told.append((x.copy(), value))
        self._thread.answer(value)
        self._receive()

    def _stop_reason(self) -> str | None:
        if self.n_told >= self.max_evals:
            return f"max_evals={self.max_evals} reached"
        return self._end if self._in_flight is None else None

    # ---------------------------------------------------------------------------- pickling
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_replay"] = self._replay or self._thread is not None
        state["_thread"] = state["_finalizer"] = None
        return state

    def _resume(self) -> None:
        """Rebuild the run of an unpickled copy by replaying its values (see the class notes)."""
        if not self._replay:
            return
        self._replay = False
        told, in_flight, expected = self._told, self._in_flight, self._next
        self._told, self._in_flight, self._next = [], None, None
        self._start_run()
        for x, value in told:
            if self._next is None or self._next.tobytes() != x.tobytes():
                return self._restart(in_flight)
            self._next = None
            self._answer(x, value)
        final = in_flight if in_flight is not None else expected
        if final is not None and (self._next is None or self._next.tobytes() != final.tobytes()):
            return self._restart(in_flight)
        if in_flight is not None:
            self._in_flight, self._next = self._next, None
        return None

    def _restart(self, in_flight: np.ndarray | None) -> None:
        self._stop_thread()
        warnings.warn(
            f"ScipyOptimizeWrapper ({self.name}): replaying its minimize run after a resume did "
            f"not ask the same points (scipy or the method computes differently here); "
            f"restarting {self.name} from its best point so far (f={self.best_fx:.6g}).",
            RuntimeWarning,
            stacklevel=4,
        )
        self._orphan, self._end, self._next = in_flight, None, None
        self._start = (self.best_x if self.best_x is not None else self.x0).copy()
        self._told = []
        self._start_run()

    def __repr__(self) -> str:
        return f"ScipyOptimizeWrapper({self.name}, max_evals={self.max_evals})"
