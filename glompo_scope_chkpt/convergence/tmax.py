"""``MaxSeconds``: end the run after a time of optimization, of one session or of all."""

from __future__ import annotations

from .._validation import require_positive
from ..errors import InvalidSettingError
from .basechecker import BaseChecker, RunStatus

__all__ = ["MaxSeconds"]


class MaxSeconds(BaseChecker):
    """Ends the run after a time of optimization.

    Give the limit in one of three ways: ``MaxSeconds(seconds)`` or ``MaxSeconds(overall_max=s)``
    count the time of every session of the run (a session resumed from a checkpoint starts with
    the time used before); ``MaxSeconds(seconds, session=True)`` or ``MaxSeconds(session_max=s)``
    count only the current session (a wall-time limit per job). Without checkpoints both are the
    same. To limit both clocks, combine two instances with ``|``.

    Parameters
    ----------
    seconds
        The limit.
    session
        Count only the current session instead of all sessions.
    session_max
        A limit on the current session (GloMPO's keyword).
    overall_max
        A limit on all sessions together (GloMPO's keyword).

    Raises
    ------
    InvalidSettingError
        If not exactly one limit is given, or it is not a number > 0 (an
        :class:`InvalidSettingTypeError` if it is not a number).
    """

    def __init__(
        self,
        seconds: float | None = None,
        session: bool = False,
        *,
        session_max: float | None = None,
        overall_max: float | None = None,
    ) -> None:
        given = [v for v in (seconds, session_max, overall_max) if v is not None]
        if len(given) != 1 or (session and seconds is None):
            raise InvalidSettingError(
                "MaxSeconds needs a number > 0 as exactly one of seconds (with session=True for "
                f"one session), session_max= or overall_max=; got seconds={seconds!r}, "
                f"session={session!r}, session_max={session_max!r}, overall_max={overall_max!r}."
            )
        self.seconds = require_positive("MaxSeconds", given[0])
        self.session = bool(session) or session_max is not None
        self._keyword = seconds is None

    @property
    def session_max(self) -> float | None:
        """The limit on the current session, or ``None`` if the limit is on all sessions."""
        return self.seconds if self.session else None

    @property
    def overall_max(self) -> float | None:
        """The limit on all sessions, or ``None`` if the limit is on the current session."""
        return None if self.session else self.seconds

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
        if self._keyword:
            name = "session_max" if self.session else "overall_max"
            return f"MaxSeconds({name}={self.seconds:g})"
        return f"MaxSeconds({self.seconds:g}{', session=True' if self.session else ''})"
