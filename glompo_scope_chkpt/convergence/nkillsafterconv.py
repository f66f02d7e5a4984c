"""``KillsAfterConvergence``: end the run once optimizers were killed after some converged."""

from __future__ import annotations

from .._validation import require_count
from .basechecker import BaseChecker, RunStatus

__all__ = ["KillsAfterConvergence"]


class KillsAfterConvergence(BaseChecker):
    """Ends the run once ``n_killed`` optimizers were killed after ``n_converged`` converged.

    Kills are counted from the moment the ``n_converged``-th optimizer met its own convergence
    criteria. The default, ``KillsAfterConvergence(0, 1)``, ends the run as soon as one optimizer
    converges; it is the manager's default convergence criterion, as in GloMPO.

    Parameters
    ----------
    n_killed
        Kills needed after the convergences.
    n_converged
        Convergences after which kills are counted.

    Raises
    ------
    InvalidSettingError
        If ``n_killed`` is not an integer >= 0 or ``n_converged`` not an integer >= 1 (an
        :class:`InvalidSettingTypeError` if either is not an integer).
    """

    def __init__(self, n_killed: int = 0, n_converged: int = 1) -> None:
        self.n_killed = require_count("KillsAfterConvergence n_killed", n_killed, minimum=0)
        self.n_converged = require_count("KillsAfterConvergence n_converged", n_converged)

    def check(self, status: RunStatus) -> bool:
        kills = status.kills_after_convergence(self.n_converged)
        return kills is not None and kills >= self.n_killed

    def describe(self, status: RunStatus) -> str:
        kills = status.kills_after_convergence(self.n_converged)
        if kills is None:
            return f"{status.n_converged} of {self.n_converged} optimizers converged"
        return f"{kills} of {self.n_killed} kills after {self.n_converged} converged"

    def explain(self, status: RunStatus) -> str:
        converged = f"{self.n_converged} optimizer(s) converged"
        if self.n_killed == 0:
            return converged
        kills = status.kills_after_convergence(self.n_converged)
        return f"{converged} and {kills} killed since (>= {self.n_killed})"

    def __repr__(self) -> str:
        return f"KillsAfterConvergence({self.n_killed}, {self.n_converged})"
