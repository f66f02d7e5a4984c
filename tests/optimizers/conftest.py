"""Every optimizer of the package, built the same way, for the rules they all follow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from glompo_scope_chkpt.optimizers import (
    BaseOptimizer,
    CMAOptimizer,
    NevergradOptimizer,
    RandomOptimizer,
)
from tests.helpers.ask_tell import BOUNDS, X0


def _random(budget: int, **kwargs: Any) -> RandomOptimizer:
    return RandomOptimizer(max_evals=budget, **kwargs)


def _cma(budget: int, **kwargs: Any) -> CMAOptimizer:
    return CMAOptimizer(popsize=5, cma_options={"maxfevals": budget}, **kwargs)


def _nevergrad(budget: int, **kwargs: Any) -> NevergradOptimizer:
    pytest.importorskip("nevergrad")
    return NevergradOptimizer(optimizer="CMA", budget=budget, workers=4, **kwargs)


@pytest.fixture(params=[_random, _cma, _nevergrad], ids=["random", "cma", "nevergrad"])
def make_optimizer(request: pytest.FixtureRequest) -> Callable[..., BaseOptimizer]:
    """Build an optimizer that stops by itself after ``budget`` evaluations (default 10_000)."""

    def build(
        seed: int | None = 0,
        budget: int = 10_000,
        bounds: Sequence[tuple[float, float]] = BOUNDS,
        x0: Sequence[float] = X0,
    ) -> BaseOptimizer:
        return request.param(budget, bounds=bounds, x0=x0, seed=seed)

    return build
