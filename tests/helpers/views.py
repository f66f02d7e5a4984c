"""Run views as the manager builds them, for unit tests of selectors and generators."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glompo_scope_chkpt.engine.spawning import OptimizerBest, RunView


def make_view(
    bounds: Any = ((-1.0, 1.0), (-1.0, 1.0)),
    rng: np.random.Generator | int = 0,
    bests: dict[int, tuple[Any, float]] | None = None,
    **fields: Any,
) -> RunView:
    """A :class:`RunView`; ``bests`` maps ``opt_id`` to ``(x, fx)`` and sets the incumbent."""
    optimizer_bests = tuple(
        OptimizerBest(opt_id, np.asarray(x, dtype=float), float(fx))
        for opt_id, (x, fx) in sorted((bests or {}).items())
    )
    best = min(optimizer_bests, key=lambda b: b.fx, default=None)
    values: dict[str, Any] = {
        "bounds": np.asarray(bounds, dtype=float),
        "rng": rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng),
        "f_counter": 0,
        "o_counter": len(optimizer_bests),
        "n_running": 0,
        "best_x": None if best is None else best.x,
        "best_fx": math.inf if best is None else best.fx,
        "best_opt_id": None if best is None else best.opt_id,
        "optimizer_bests": optimizer_bests,
        "max_f_calls": None,
    }
    values.update(fields)
    return RunView(**values)
