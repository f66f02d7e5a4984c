"""What a hunter sees: read-only views of the best optimizer and of the one it may stop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..core.history import Trace

__all__ = ["OptimizerView", "Hunt"]


def _empty_points() -> np.ndarray:
    return np.empty((0, 0))


def _empty_values() -> np.ndarray:
    return np.empty(0)


@dataclass(frozen=True)
class OptimizerView:
    """One optimizer of the run as the hunters see it; arrays are read-only.

    Attributes
    ----------
    opt_id, opt_type
        Its number in the run and its class name.
    start_call
        The run's evaluation count when it started.
    n_evals
        Evaluations done for it, failed ones included.
    iterations
        Its iterations: its own count when it keeps one (an ``n_iterations`` attribute, e.g.
        generations of a population method), otherwise its evaluations.
    best_fx
        The lowest value it found (``inf`` if none).
    evals_at_improvement
        Its ``n_evals`` when it last found a lower value.
    fx, call_ids
        Its trajectory: every value it found (failed and ``nan`` evaluations left out) and the
        run's evaluation number of each. Read from :attr:`trace` when first used.
    recent_x, recent_fx
        The last points it was told, oldest first, shape ``(k, n_params)``, and their values
        (non-finite ones included). The manager keeps as many as the configured hunters need
        (:attr:`BaseHunter.points_needed`); once an optimizer ended only its last point is kept.
    running
        Whether it still runs.
    trace
        Where :attr:`fx` and :attr:`call_ids` come from (a running optimizer's trace is read as
        a view; an ended one's is unpacked, which a hunt pays only if a hunter reads it).
    """

    opt_id: int
    opt_type: str
    start_call: int
    n_evals: int
    iterations: int
    best_fx: float
    evals_at_improvement: int = 0
    recent_x: np.ndarray = field(default_factory=_empty_points)
    recent_fx: np.ndarray = field(default_factory=_empty_values)
    running: bool = True
    trace: Trace = field(default_factory=Trace, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("recent_x", "recent_fx"):
            array = np.asarray(getattr(self, name)).view()
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @cached_property
    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`call_ids` and :attr:`fx`, read together (an ended trace is unpacked once)."""
        return self.trace.columns()

    @property
    def fx(self) -> np.ndarray:
        """Every value it found, in evaluation order (see the class's attributes)."""
        return self._columns[1]

    @property
    def call_ids(self) -> np.ndarray:
        """The run's evaluation number of each value in :attr:`fx`."""
        return self._columns[0]

    @property
    def last_x(self) -> np.ndarray | None:
        """The last point it was told, or ``None`` if none is kept."""
        return self.recent_x[-1] if len(self.recent_x) else None


def _nobody() -> Iterable[OptimizerView]:
    return ()


@dataclass(frozen=True)
class Hunt:
    """One comparison of a hunt: may ``victim`` be stopped, given ``hunter``, the run's best?

    Attributes
    ----------
    hunter
        The optimizer that found the run's best value (it may have ended).
    victim
        A running optimizer other than the hunter.
    rng
        The generator probabilistic hunters draw from: the manager's, saved in every checkpoint,
        so a seeded run resumed from a checkpoint draws the same numbers.
    population
        Returns every optimizer of the run with a point kept, for hunters that compare the
        victim with all others; called only by hunters that need it.
    """

    hunter: OptimizerView
    victim: OptimizerView
    rng: np.random.Generator
    population: Callable[[], Iterable[OptimizerView]] = field(default=_nobody, repr=False)

    def others(self) -> Iterable[OptimizerView]:
        """Every optimizer of the run but the victim (see :attr:`population`)."""
        return (view for view in self.population() if view.opt_id != self.victim.opt_id)
