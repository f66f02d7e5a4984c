"""Any of nevergrad's optimizers, by name, through nevergrad's own ask/tell interface."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import InvalidSettingError
from ._nevergrad_threads import threaded_algorithms
from .base import BaseOptimizer

__all__ = ["NevergradOptimizer"]

_WORST_LOSS = 1.0e20
"""What a failed evaluation is told as: below nevergrad's ceiling for losses (5e20, which warns)."""


def _import_nevergrad() -> Any:
    try:
        import nevergrad
    except ImportError as exc:
        raise ImportError(
            "NevergradOptimizer needs nevergrad, an optional dependency: "
            "pip install 'glompo_scope_chkpt[nevergrad]' (or pip install nevergrad)."
        ) from exc
    return nevergrad


def _factory(ng: Any, optimizer: Any) -> Any:
    """The nevergrad optimizer class or configured family that ``optimizer`` names."""
    if not isinstance(optimizer, str):
        if callable(optimizer):
            return optimizer
        raise InvalidSettingError(
            f"NevergradOptimizer: optimizer must be a name of nevergrad's registry or a "
            f"nevergrad optimizer family, got {optimizer!r}."
        )
    if optimizer not in ng.optimizers.registry:
        close = difflib.get_close_matches(optimizer, list(ng.optimizers.registry), n=5)
        hint = f" Close names: {', '.join(close)}." if close else ""
        raise InvalidSettingError(
            f"NevergradOptimizer: {optimizer!r} is not in nevergrad's optimizer registry "
            f"(sorted(nevergrad.optimizers.registry) lists them).{hint}"
        )
    return ng.optimizers.registry[optimizer]


class NevergradOptimizer(BaseOptimizer):
    """One of nevergrad's optimizers (``"NGOpt"``, ``"TwoPointsDE"``, ``"CMA"``, ``"PSO"``, ...).

    The parameters are a nevergrad ``Array`` that starts at ``x0``, bounded by ``bounds`` (its step
    size a sixth of each width). Up to ``workers`` points are in flight at once; the optimizer
    stops once ``budget`` values were told. Failed evaluations (``nan``, ``inf``) are told as a
    loss of 1e20.

    Runs are reproducible: nevergrad draws from a generator seeded from ``seed``, and the few
    algorithms that draw from numpy's global generator draw from a private copy of it (swapped in
    for each ``ask`` and ``tell``, so the caller's global sequence is untouched). All of it pickles
    with the optimizer, so a checkpoint resumes exactly, in another process too: nevergrad keys
    its archives by the points' bytes, not by salted hashes, and its CMA tells pycma points that
    went through the ``Array``'s bounds, which pycma takes as new (its hash-keyed record of the
    points it sampled plays no part). Algorithms that nevergrad
    runs in a thread (its wrappers of scipy and ``cma.fmin2``, which NGOpt picks for some
    budgets) cannot be checkpointed and are refused; :class:`ScipyOptimizeWrapper` runs scipy's
    methods.

    Parameters
    ----------
    bounds, x0, seed
        See :class:`~glompo_scope_chkpt.optimizers.base.BaseOptimizer`.
    optimizer
        A name of ``nevergrad.optimizers.registry``, or a nevergrad optimizer class or configured
        family (e.g. ``nevergrad.families.DifferentialEvolution(crossover="twopoints")``).
    budget
        Evaluations after which the optimizer stops; nevergrad's algorithms plan with it.
    workers
        Points in flight at once (nevergrad's ``num_workers``).

    Raises
    ------
    ImportError
        If nevergrad is not installed.
    InvalidSettingError
        If ``optimizer`` is unknown, ``budget`` or ``workers`` is below 1, or nevergrad refuses
        the combination (e.g. a sequential algorithm with ``workers > 1``).
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        x0: Sequence[float],
        seed: int | None = None,
        optimizer: Any = "TwoPointsDE",
        budget: int = 1000,
        workers: int = 1,
    ) -> None:
        ng = _import_nevergrad()
        super().__init__(bounds, x0, seed)
        for name, value in (("budget", budget), ("workers", workers)):
            if value < 1:
                raise InvalidSettingError(f"NevergradOptimizer: {name} must be >= 1, got {value}.")
        self.budget, self.workers = int(budget), int(workers)
        self.name = optimizer if isinstance(optimizer, str) else repr(optimizer)
        factory = _factory(ng, optimizer)
        own_random_state = np.random.RandomState(self.rng.integers(2**32))
        self._global_state = np.random.RandomState(self.rng.integers(2**32)).get_state()
        with self._calling_nevergrad():
            low, high = self.bounds[:, 0], self.bounds[:, 1]
            parametrization = ng.p.Array(init=self.x0, lower=low, upper=high)
            parametrization.random_state = own_random_state
            try:
                self.ng = factory(parametrization, budget=self.budget, num_workers=self.workers)
            except (ValueError, TypeError) as exc:
                raise InvalidSettingError(
                    f"NevergradOptimizer: nevergrad refused {self.name} with "
                    f"budget={self.budget}, workers={self.workers}: {exc}"
                ) from exc
            threaded = threaded_algorithms(self.ng)
        if threaded:
            raise InvalidSettingError(
                f"NevergradOptimizer: {self.name} (budget={self.budget}, workers={self.workers}, "
                f"{self.n_params} parameters) runs {', '.join(threaded)} in a thread, which "
                f"cannot be checkpointed. Name another algorithm (e.g. 'TwoPointsDE', 'CMA', "
                f"'PSO'), or use ScipyOptimizeWrapper for scipy's methods."
            )
        self._in_flight: dict[bytes, list[Any]] = {}

    @contextmanager
    def _calling_nevergrad(self) -> Iterator[None]:
        """Let nevergrad draw from this optimizer's copy of numpy's global generator.

        pycma's ``InjectionWarning`` is silenced: nevergrad's CMA tells pycma the points it
        asked after they went through the bounds of the ``Array``, as it means to.
        """
        from cma.evolution_strategy import InjectionWarning

        outside = np.random.get_state()
        np.random.set_state(self._global_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InjectionWarning)
                yield
        finally:
            self._global_state = np.random.get_state()
            np.random.set_state(outside)

    def _ask(self) -> np.ndarray | None:
        if self.n_asked >= self.budget or self.n_asked - self.n_told >= self.workers:
            return None
        with self._calling_nevergrad():
            candidate = self.ng.ask()
        x = np.clip(np.array(candidate.value, dtype=float), self.bounds[:, 0], self.bounds[:, 1])
        self._in_flight.setdefault(x.tobytes(), []).append(candidate)
        return x

    def _tell(self, x: np.ndarray, fx: float) -> None:
        key = x.tobytes()
        waiting = self._in_flight.get(key)
        if not waiting:
            raise ValueError("NevergradOptimizer.tell: x is not a point in flight.")
        candidate = waiting.pop(0)
        if not waiting:
            del self._in_flight[key]
        with self._calling_nevergrad():
            self.ng.tell(candidate, fx if np.isfinite(fx) else _WORST_LOSS)

    def _stop_reason(self) -> str | None:
        if self.n_told >= self.budget:
            return f"nevergrad {self.name}: budget of {self.budget} evaluations spent"
        return None

    def __repr__(self) -> str:
        return f"NevergradOptimizer({self.name}, budget={self.budget}, workers={self.workers})"
