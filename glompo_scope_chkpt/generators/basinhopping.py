"""``BasinHoppingGenerator``: basin-hopping's Monte-Carlo choice of where local searches start."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .._validation import require_count, require_non_negative, require_number, require_positive
from ..errors import InvalidSettingError
from .basegenerator import BaseGenerator, uniform_point

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["BasinHoppingGenerator"]


def _fraction(name: str, value: object, strictly: bool) -> float:
    """``value`` as a float in ``[0, 1]``, or in ``(0, 1)`` if ``strictly``."""
    within = "strictly between 0 and 1" if strictly else "in [0, 1]"
    number = require_number(f"BasinHoppingGenerator {name}", value, f"a number {within}")
    if not 0 <= number <= 1 or (strictly and number in (0.0, 1.0)):
        raise InvalidSettingError(
            f"BasinHoppingGenerator {name} needs a number {within}, got {value!r}."
        )
    return number


class BasinHoppingGenerator(BaseGenerator):
    """The outer loop of basin-hopping, adapted to several optimizers running at once.

    For each new optimizer:

    1. Before any value came back, the point is drawn uniformly inside the bounds.
    2. Otherwise the generator stands at the incumbent. When the incumbent has moved to another
       optimizer, with a value no worse than the one it had, that counts as an accepted hop.
    3. One of the other optimizers with a best point is picked at random; with the Metropolis
       probability ``exp(-(fx_other - fx_best) / temperature)`` the generator moves to its best
       point instead (keeping the starts diverse).
    4. When the new optimizer's number is a multiple of ``interval``, the step size is divided by
       ``factor`` if the acceptance rate (accepted hops / optimizers started) is above
       ``target_accept_rate``, and multiplied by it if below, never above ``max_step_size``.
    5. Each parameter moves by a uniform draw in ``[-step, step]`` and is clipped into the bounds.

    Every draw comes from the manager's generator and the step size and counts are saved with the
    generator in each checkpoint, so a seeded serial run resumes exactly.

    Parameters
    ----------
    temperature
        ``>= 0``; higher accepts worse optimizers' points more often, 0 never.
    max_step_size
        First and largest step, in the units of the parameters (``> 0``).
    target_accept_rate
        Acceptance rate the step size is tuned toward, in ``[0, 1]``.
    interval
        Optimizers between step-size adjustments (an integer ``>= 1``).
    factor
        Step-size multiplier, in ``(0, 1)``.

    Raises
    ------
    InvalidSettingTypeError
        If a parameter is not a number (``interval`` not an integer).
    InvalidSettingError
        If a parameter lies outside its range.

    References
    ----------
    Wales, D. J. & Doye, J. P. K. (1997). J. Phys. Chem. A 101, 5111-5116; the step-size
    adjustment follows :func:`scipy.optimize.basinhopping`.
    """

    def __init__(
        self,
        temperature: float = 1.0,
        max_step_size: float = 0.5,
        target_accept_rate: float = 0.5,
        interval: int = 5,
        factor: float = 0.9,
    ) -> None:
        self.temperature = require_non_negative("BasinHoppingGenerator temperature", temperature)
        self.max_step_size = require_positive("BasinHoppingGenerator max_step_size", max_step_size)
        self.target_accept_rate = _fraction("target_accept_rate", target_accept_rate, False)
        self.interval = require_count("BasinHoppingGenerator interval", interval)
        self.factor = _fraction("factor", factor, True)
        self.step_size = self.max_step_size
        self.n_accept = 0
        self.holder: tuple[int, float] | None = None  # (opt_id, fx) of the incumbent last seen

    def generate(self, view: RunView) -> np.ndarray:
        if view.best_x is None or view.best_opt_id is None:
            return uniform_point(view.bounds, view.rng)
        self._count_hop(view.best_opt_id, view.best_fx)
        location = self._metropolis(view, view.best_x)
        if (view.o_counter + 1) % self.interval == 0:
            self._adjust_step(view.o_counter)
        step = view.rng.uniform(-self.step_size, self.step_size, view.n_parms)
        return np.clip(location + step, view.bounds[:, 0], view.bounds[:, 1])

    def _count_hop(self, opt_id: int, fx: float) -> None:
        if self.holder is not None and opt_id != self.holder[0] and fx <= self.holder[1]:
            self.n_accept += 1
        self.holder = (opt_id, fx)

    def _metropolis(self, view: RunView, best_x: np.ndarray) -> np.ndarray:
        others = [best for best in view.optimizer_bests if best.opt_id != view.best_opt_id]
        if not others or self.temperature == 0:
            return best_x
        other = others[int(view.rng.integers(len(others)))]
        chance = math.exp(-(other.fx - view.best_fx) / self.temperature)
        return other.x if view.rng.random() < chance else best_x

    def _adjust_step(self, n_started: int) -> None:
        rate = self.n_accept / max(n_started, 1)
        if rate > self.target_accept_rate:
            self.step_size = min(self.step_size / self.factor, self.max_step_size)
        elif rate < self.target_accept_rate:
            self.step_size *= self.factor

    def __repr__(self) -> str:
        return (
            f"BasinHoppingGenerator(temperature={self.temperature:g}, "
            f"max_step_size={self.max_step_size:g}, target_accept_rate="
            f"{self.target_accept_rate:g}, interval={self.interval}, factor={self.factor:g})"
        )
