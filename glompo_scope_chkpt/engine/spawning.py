"""Starting an optimizer: what the selector and the generator see of the run, and the start.

Selectors, their spawn controls and generators read the run through a :class:`RunView`, a small
read-only picture built when an optimizer is about to start. Its ``rng`` is the manager's seeded
generator, saved in every checkpoint: drawing from it (and from nothing else) keeps a serial,
seeded run exactly reproducible across any number of resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..convergence import BaseChecker, MaxFuncCalls
from ..convergence.basechecker import _AnyOf
from ..core.state import OptimizerRecord
from ..errors import GloMPOError

if TYPE_CHECKING:
    from ..core.settings import ManagerSettings
    from ..core.state import RunState

__all__ = ["OptimizerBest", "RunView", "evaluation_budget", "run_view", "start_optimizer"]


@dataclass(frozen=True)
class OptimizerBest:
    """The best point one optimizer has found so far."""

    opt_id: int
    x: np.ndarray
    fx: float


@dataclass(frozen=True)
class RunView:
    """What selectors, spawn controls and generators may read of the run.

    The names follow GloMPO's manager where it has one (``f_counter``, ``o_counter``,
    ``n_parms``, ``bounds``), so a spawn control written for GloMPO reads the same figures.
    Arrays are read-only copies.

    Attributes
    ----------
    bounds : numpy.ndarray
        ``(n, 2)`` bounds of the run.
    rng : numpy.random.Generator
        The manager's generator: every random draw must come from it.
    f_counter : int
        Function evaluations done so far (over all sessions).
    o_counter : int
        Optimizers started so far.
    n_running : int
        Optimizers running now.
    best_x, best_fx, best_opt_id
        The incumbent: best point, its value and the optimizer that found it (``None``,
        ``inf``, ``None`` before any value came back).
    optimizer_bests : tuple of OptimizerBest
        The best point of every optimizer that has one, by ``opt_id``.
    max_f_calls : int or None
        The evaluation budget, when the convergence checker sets one (a :class:`MaxFuncCalls`
        alone or joined with ``|``).
    """

    bounds: np.ndarray
    rng: np.random.Generator
    f_counter: int
    o_counter: int
    n_running: int
    best_x: np.ndarray | None
    best_fx: float
    best_opt_id: int | None
    optimizer_bests: tuple[OptimizerBest, ...]
    max_f_calls: int | None

    @property
    def n_parms(self) -> int:
        """Number of parameters."""
        return len(self.bounds)


def _read_only(array: np.ndarray) -> np.ndarray:
    copy = np.array(array, dtype=float)
    copy.flags.writeable = False
    return copy


def evaluation_budget(checker: BaseChecker) -> int | None:
    """The number of evaluations after which ``checker`` surely ends the run, if it sets one."""
    if isinstance(checker, MaxFuncCalls):
        return checker.fmax
    if isinstance(checker, _AnyOf):
        budgets = [evaluation_budget(part) for part in (checker.left, checker.right)]
        return min((b for b in budgets if b is not None), default=None)
    return None


def run_view(settings: ManagerSettings, state: RunState, n_running: int) -> RunView:
    """Build the :class:`RunView` of the run as it stands."""
    bests = tuple(
        OptimizerBest(rec.opt_id, _read_only(rec.best_x), rec.best_fx)
        for rec in state.optimizers.values()
        if rec.best_x is not None
    )
    return RunView(
        bounds=_read_only(settings.bounds),
        rng=state.rng,
        f_counter=state.f_counter,
        o_counter=state.n_started,
        n_running=n_running,
        best_x=None if state.best_x is None else _read_only(state.best_x),
        best_fx=state.best_fx,
        best_opt_id=state.best_opt_id,
        optimizer_bests=bests,
        max_f_calls=evaluation_budget(settings.convergence_checker),
    )


def _checked_start(x0: Any, settings: ManagerSettings) -> np.ndarray:
    point = np.asarray(x0, dtype=float)
    bounds = settings.bounds
    if point.shape != (len(bounds),) or not np.all(np.isfinite(point)):
        raise GloMPOError(
            f"{settings.generator!r} returned {x0!r}: a start point must be {len(bounds)} "
            f"finite numbers."
        )
    if np.any(point < bounds[:, 0]) or np.any(point > bounds[:, 1]):
        raise GloMPOError(
            f"{settings.generator!r} returned {x0!r}, outside the bounds; a generator must "
            f"return points inside them."
        )
    return point


def start_optimizer(
    settings: ManagerSettings, state: RunState, n_running: int
) -> OptimizerRecord | None:
    """Start the next optimizer: its class from the selector, its start from the generator.

    The selector is asked first, then the generator, then the optimizer's seed is drawn: each
    draws from the manager's generator in this order. The new record is added to ``state``, and
    a ``started`` marker naming its type to the history.

    Returns
    -------
    OptimizerRecord or None
        The new optimizer's record, or ``None`` when the selector starts no more optimizers.

    Raises
    ------
    GloMPOError
        If the generator returns something that is not a point inside the bounds.
    """
    view = run_view(settings, state, n_running)
    choice = settings.opt_selector.select(view)
    if choice is None:
        return None
    cls, kwargs = choice
    x0 = _checked_start(settings.generator.generate(view), settings)
    seed = int(state.rng.integers(2**63 - 1))
    optimizer = cls(settings.bounds, x0, seed=seed, **kwargs)
    state.n_started += 1
    options = {key: repr(value) for key, value in kwargs.items()}
    record = OptimizerRecord(
        state.n_started, cls.__name__, optimizer, state.f_counter, options=options
    )
    state.optimizers[record.opt_id] = record
    state.history.add_marker("started", state.f_counter, record.opt_id, label=cls.__name__)
    return record
