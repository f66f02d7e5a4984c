"""``ValueAnnealing``: stop, at random, optimizers whose best is far from the run's best."""

from __future__ import annotations

import math

from .._validation import require_number
from ..errors import InvalidSettingError
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["ValueAnnealing"]


class ValueAnnealing(BaseHunter):
    """Holds at random, the more likely the further the victim's best is from the hunter's.

    With ``d = abs((victim best - hunter best) / hunter best)`` the victim survives with
    probability ``(1 - med_kill_chance) ** d``, drawn from the manager's generator: a victim
    whose best is twice the hunter's (``d = 1``) is stopped with probability
    ``med_kill_chance``; one close to the hunter almost never. A victim not worse than the
    hunter, or a hunter whose best is 0, never draws and never fails.

    Parameters
    ----------
    med_kill_chance
        The probability of stopping a victim whose best is twice the hunter's.

    Raises
    ------
    InvalidSettingError
        If ``med_kill_chance`` is not strictly between 0 and 1 (an
        :class:`InvalidSettingTypeError` if it is not a number).
    """

    def __init__(self, med_kill_chance: float = 0.5) -> None:
        chance = require_number("ValueAnnealing med_kill_chance", med_kill_chance)
        if not 0 < chance < 1:
            raise InvalidSettingError(
                f"ValueAnnealing med_kill_chance must be between 0 and 1, got {med_kill_chance!r}."
            )
        self.med_kill_chance = chance

    @staticmethod
    def _distance(hunt: Hunt) -> float | None:
        best, own = hunt.hunter.best_fx, hunt.victim.best_fx
        if best == 0 or not math.isfinite(best) or own <= best:
            return None
        return abs((own - best) / best)

    def check(self, hunt: Hunt) -> bool:
        distance = self._distance(hunt)
        if distance is None:
            return False
        survival = (1 - self.med_kill_chance) ** distance
        return float(hunt.rng.random()) >= survival

    def describe(self, hunt: Hunt) -> str:
        return (
            f"it failed the value test (best {hunt.victim.best_fx:.6g} against the hunter's "
            f"{hunt.hunter.best_fx:.6g}, med_kill_chance {self.med_kill_chance:g})"
        )

    def __repr__(self) -> str:
        return f"ValueAnnealing(med_kill_chance={self.med_kill_chance:g})"
