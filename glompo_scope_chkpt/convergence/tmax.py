"""``MaxSeconds``: end the run after a time of optimization."""

from __future__ import annotations

from .basechecker import BaseChecker, RunStatus, _positive

__all__ = ["MaxSeconds"]


class MaxSeconds(BaseChecker):
    """Ends the run after ``seconds`` of optimization.

    Parameters
    ----------
    seconds
        The limit.
    session
        Count only the current session (a wall-time limit per job) instead of all sessions.
    """

    def __init__(self, seconds: float, session: bool = False) -> None:
        self.seconds = float(_positive("MaxSeconds", seconds))
        self.session = bool(session)

    def _used(self, status: RunStatus) -> float:
        return status.session_elapsed if self.session else status.elapsed

    def check(self, status: RunStatus) -> bool:
        return self._used(status) >= self.seconds

    def describe(self, status: RunStatus) -> str:
        scope = "this session's" if self.session else "the run's"
        return f"{self._used(status):.1f} s of {scope} {self.seconds:g} s"

    def explain(self, status: RunStatus) -> str:
        scope = "session" if self.session else "run"
        return f"{scope} time limit reached ({self._used(status):.1f} s >= {self.seconds:g} s)"

    def __repr__(self) -> str:
        return f"MaxSeconds({self.seconds:g}{', session=True' if self.session else ''})"
