"""Hunts: every ``hunt_frequency`` evaluations, each running optimizer against the best one.

The hunters read the optimizers through read-only views built here from the run's state: the
trajectories of the history, and the few last points each running optimizer keeps for them
(:class:`~glompo_scope_chkpt.core.history.PointWindow`, saved with its record in checkpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .._logging import get_logger
from ..core.history import PointWindow, Trace
from ..core.settings import ManagerSettings
from ..core.state import OptimizerRecord, RunState
from ..hunters import Hunt, OptimizerView

__all__ = ["Hunting"]

logger = get_logger(__name__)


class Hunting:
    """The hunts of one session, and the last points the hunters need.

    Parameters
    ----------
    settings, state
        The manager's. On resume, the points kept are fitted to what the (possibly overridden)
        hunters need.
    """

    def __init__(self, settings: ManagerSettings, state: RunState) -> None:
        self.hunter = settings.hunter
        self.frequency = settings.hunt_frequency
        self.state = state
        self.capacity = self.hunter.points_needed if self.hunter is not None else 0
        for record in state.optimizers.values():
            self._fit(record)

    def _fit(self, record: OptimizerRecord) -> None:
        """Keep ``capacity`` points of a running optimizer, at most one of an ended one."""
        if record.recent is None:
            return
        capacity = self.capacity if record.running else min(self.capacity, 1)
        if capacity == 0:
            record.recent = None
        elif record.recent.capacity != capacity:
            record.recent = record.recent.resized(capacity)

    def remember(self, record: OptimizerRecord, x: np.ndarray, fx: float) -> None:
        """Keep the point ``x`` just told to ``record``'s optimizer, if a hunter reads points."""
        if self.capacity:
            if record.recent is None:
                record.recent = PointWindow(self.capacity, len(x))
            record.recent.append(x, fx)

    def forget(self, record: OptimizerRecord) -> None:
        """Drop the points of an optimizer that has ended, but its last one."""
        self._fit(record)

    def due(self, call_id: int) -> bool:
        """Whether a hunt follows evaluation ``call_id``: a hunter, a best optimizer, its turn."""
        return (
            self.hunter is not None
            and self.state.best_opt_id is not None
            and call_id % self.frequency == 0
        )

    def hunt(self, running: Iterable[OptimizerRecord]) -> list[tuple[OptimizerRecord, str]]:
        """Judge each of the ``running`` optimizers against the best one.

        Returns
        -------
        list of (OptimizerRecord, str)
            The optimizers to stop, in order of id, with the reason for each.
        """
        if self.hunter is None or self.state.best_opt_id is None:
            return []
        best = self.state.optimizers[self.state.best_opt_id]
        hunter = self.view(best)
        victims = []
        for record in sorted(running, key=lambda rec: rec.opt_id):
            if record.opt_id == best.opt_id or record.n_evals == 0:
                continue
            hunt = Hunt(hunter, self.view(record), self.state.rng, self._population)
            reason = self.hunter.verdict(hunt)
            if reason is not None:
                victims.append((record, f"hunted by optimizer {best.opt_id}: {reason}"))
        logger.debug("Hunt by optimizer %d: %d victim(s)", best.opt_id, len(victims))
        return victims

    def _population(self) -> Iterator[OptimizerView]:
        for record in self.state.optimizers.values():
            if record.recent is not None and len(record.recent):
                yield self.view(record)

    def view(self, record: OptimizerRecord) -> OptimizerView:
        """What the hunters see of ``record``'s optimizer."""
        trace = self.state.history.traces.get(record.opt_id)
        recent = record.recent
        iterations = getattr(record.optimizer, "n_iterations", record.n_evals)
        return OptimizerView(
            opt_id=record.opt_id,
            opt_type=record.opt_type,
            start_call=record.start_call,
            n_evals=record.n_evals,
            iterations=int(iterations),
            best_fx=record.best_fx,
            evals_at_improvement=record.evals_at_improvement,
            recent_x=recent.x if recent is not None else np.empty((0, 0)),
            recent_fx=recent.fx if recent is not None else np.empty(0),
            running=record.running,
            trace=trace if trace is not None else Trace(),
        )
