"""``TimeAnnealing``: stop, at random, optimizers that have run long compared with the best."""

from __future__ import annotations

from .._validation import require_positive
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["TimeAnnealing"]


class TimeAnnealing(BaseHunter):
    """Holds at random, the more likely the longer the victim has run.

    With ``ratio = hunter evaluations / victim evaluations``, a number is drawn uniformly in
    ``[0, crit_ratio)`` from the manager's generator; the condition holds (the victim fails the
    test) when the number is larger than ``ratio``. A victim with ``ratio >= crit_ratio``
    always survives; a young victim (high ratio) mostly survives. Place it last in an ``&`` so
    that it tempers strict conditions and draws only when they hold.

    Parameters
    ----------
    crit_ratio
        The ratio above which the victim is sure to survive. Below 1 is looser (a victim that
        ran longer than the hunter may survive); above 1 is stricter.

    Raises
    ------
    InvalidSettingError
        If ``crit_ratio`` is not a number > 0 (an :class:`InvalidSettingTypeError` if it is not
        a number).
    """

    def __init__(self, crit_ratio: float = 1) -> None:
        self.crit_ratio = require_positive("TimeAnnealing crit_ratio", crit_ratio)

    @staticmethod
    def _ratio(hunt: Hunt) -> float:
        return hunt.hunter.n_evals / hunt.victim.n_evals

    def check(self, hunt: Hunt) -> bool:
        if hunt.victim.n_evals == 0:
            return False
        return float(hunt.rng.uniform(0.0, self.crit_ratio)) > self._ratio(hunt)

    def describe(self, hunt: Hunt) -> str:
        return (
            f"it failed the age test (hunter/victim evaluations {self._ratio(hunt):.3g}, "
            f"crit_ratio {self.crit_ratio:g})"
        )

    def __repr__(self) -> str:
        return f"TimeAnnealing(crit_ratio={self.crit_ratio:g})"
