"""``StagnationHunter``: stop an optimizer that stopped improving and is not the best."""

from __future__ import annotations

from typing import Protocol

from ..errors import InvalidSettingError
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["StagnationHunter"]


class _Progress(Protocol):
    """What the rule reads of an optimizer (an ``OptimizerView`` or an ``OptimizerRecord``)."""

    @property
    def n_evals(self) -> int: ...

    @property
    def evals_at_improvement(self) -> int: ...

    @property
    def best_fx(self) -> float: ...


class StagnationHunter(BaseHunter):
    """Stops an optimizer that has not improved for a while and is not the best one.

    Parameters
    ----------
    patience
        Own evaluations without improvement after which the optimizer may be stopped.
    tolerance
        An optimizer within ``tolerance`` of the run's best value (relative to its magnitude)
        counts as the best one and is never stopped.

    Raises
    ------
    InvalidSettingError
        If ``patience < 1`` or ``tolerance < 0``.
    """

    def __init__(self, patience: int = 200, tolerance: float = 0.0) -> None:
        if patience < 1:
            raise InvalidSettingError(f"StagnationHunter: patience must be >= 1, got {patience}.")
        if tolerance < 0:
            raise InvalidSettingError(f"StagnationHunter: tolerance must be >= 0, got {tolerance}.")
        self.patience = int(patience)
        self.tolerance = float(tolerance)

    def should_kill(self, optimizer: _Progress, best_fx: float) -> str | None:
        """Return the reason to stop ``optimizer`` given the run's ``best_fx``, or ``None``."""
        stalled = optimizer.n_evals - optimizer.evals_at_improvement
        if stalled < self.patience:
            return None
        if optimizer.best_fx <= best_fx + self.tolerance * abs(best_fx):
            return None
        return (
            f"no improvement in {stalled} evaluations; its best {optimizer.best_fx:.6g} "
            f"trails the run's best {best_fx:.6g}"
        )

    def verdict(self, hunt: Hunt) -> str | None:
        return self.should_kill(hunt.victim, hunt.hunter.best_fx)

    def check(self, hunt: Hunt) -> bool:
        return self.verdict(hunt) is not None

    def __repr__(self) -> str:
        return f"StagnationHunter(patience={self.patience}, tolerance={self.tolerance:g})"
