"""CMA-ES through pycma's ask/tell interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import require_count
from ..errors import InvalidSettingError, InvalidSettingTypeError
from .base import BaseOptimizer

__all__ = ["CMAOptimizer"]


class _NormalSampler:
    """``randn(*shape)`` as pycma expects it, drawing from the optimizer's own generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape)


def _content_key(x: Any) -> Any:
    """Key of a solution in pycma's solution archives: its content, not ``hash`` of it.

    pycma keys them by ``hash(x.tobytes())``, but the hash of bytes is salted per interpreter:
    keys pickled with a checkpoint match nothing in the process that resumes it, so pycma would
    recompute the genotypes of a half-told population instead of taking the ones it sampled.
    Bytes keys are hashed again when the archive is unpickled.
    """
    if isinstance(x, np.ndarray):
        return x.tobytes()
    try:
        hash(x)
    except TypeError:
        return tuple(x)
    return x


def _key_archives_by_content(es: Any) -> None:
    """Give every solution archive of ``es`` (held by it or by its parts) :func:`_content_key`."""
    from cma.utilities.utils import SolutionDict

    holders = [es, *(part for part in vars(es).values() if hasattr(part, "__dict__"))]
    for holder in holders:
        for archive in vars(holder).values():
            if isinstance(archive, SolutionDict):
                archive.key = _content_key


class CMAOptimizer(BaseOptimizer):
    """Covariance matrix adaptation evolution strategy (:class:`cma.CMAEvolutionStrategy`).

    A population is asked of pycma, handed out one point at a time, and told back as a whole once
    every member has its value, so any number of members may be in flight at once. Sampling uses
    this optimizer's own generator, so runs are reproducible and checkpoints restore it exactly;
    pycma's record of the points it handed out is keyed by their content, so a checkpoint taken
    while a population is half told resumes exactly in another process too.

    **Nudging** (GloMPO's ``force_injects`` and ``injection_frequency``). With the manager's
    ``share_best_solutions=True``, the run's best point reaches the optimizer through
    :meth:`inject`. With ``injection_frequency=n`` it is injected into the next population
    (pycma's ``inject``) when it is better than any value the optimizer was told and at least
    ``n`` generations have passed since the last injection (or since the start). Without
    ``injection_frequency`` injected points are ignored.

    Parameters
    ----------
    bounds, x0, seed
        See :class:`~glompo_scope_chkpt.optimizers.base.BaseOptimizer`.
    sigma0
        Initial step size; default a quarter of the mean bound width.
    popsize
        Population size; pycma's default when ``None``.
    cma_options
        Further pycma options (e.g. ``{"tolfun": 1e-8, "maxfevals": 5000}``).
    force_injects
        ``True``: an injected point joins the next population as it is. ``False`` or ``None``:
        only its direction from the mean is used, a step no longer than the others (a nudge).
    injection_frequency
        Generations between two injections; ``None`` ignores injected points.

    Raises
    ------
    InvalidSettingError
        If ``sigma0 <= 0``, ``popsize < 2`` or ``injection_frequency < 1``.
    InvalidSettingTypeError
        If ``injection_frequency`` is not an integer or ``force_injects`` not a bool or None.
    """

    injection_frequency: int | None = None
    force_injects: bool = False
    _incumbent: tuple[np.ndarray, float] | None = None
    _own_best = np.inf
    _injected_at = 0

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        x0: Sequence[float],
        seed: int | None = None,
        sigma0: float | None = None,
        popsize: int | None = None,
        cma_options: Mapping[str, Any] | None = None,
        force_injects: bool | None = None,
        injection_frequency: int | None = None,
    ) -> None:
        import cma

        super().__init__(bounds, x0, seed)
        widths = self.bounds[:, 1] - self.bounds[:, 0]
        self.sigma0 = float(np.mean(widths) / 4) if sigma0 is None else float(sigma0)
        if self.sigma0 <= 0:
            raise InvalidSettingError(f"CMAOptimizer: sigma0 must be > 0, got {sigma0}.")
        options: dict[str, Any] = {
            "bounds": [list(self.bounds[:, 0]), list(self.bounds[:, 1])],
            "verbose": -9,
            "verb_log": 0,
            "verb_disp": 0,
            "randn": _NormalSampler(self.rng),
        }
        if popsize is not None:
            if popsize < 2:
                raise InvalidSettingError(f"CMAOptimizer: popsize must be >= 2, got {popsize}.")
            options["popsize"] = int(popsize)
        options.update(cma_options or {})
        self.es = cma.CMAEvolutionStrategy(self.x0, self.sigma0, options)
        _key_archives_by_content(self.es)
        self._population: list[np.ndarray] = []
        self._values: dict[bytes, float] = {}
        self._handed = 0
        self._set_injection(force_injects, injection_frequency)

    def _set_injection(self, force: bool | None, frequency: int | None) -> None:
        if force is not None and not isinstance(force, bool):
            raise InvalidSettingTypeError(
                f"CMAOptimizer: force_injects must be True, False or None, got {force!r}."
            )
        if frequency is not None:
            frequency = require_count("CMAOptimizer: injection_frequency", frequency)
        self.force_injects, self.injection_frequency = bool(force), frequency

    def inject(self, x: np.ndarray, fx: float) -> None:
        """Take a good point found elsewhere (the run's best); see *Nudging* above.

        Only the best point injected since the last injection is kept; it is used when the
        next population is asked for.
        """
        if self.injection_frequency is None:
            return
        if self._incumbent is None or fx < self._incumbent[1]:
            self._incumbent = (np.array(x, dtype=float), float(fx))

    def _inject_incumbent(self) -> None:
        """Put the kept point into the population about to be asked, if it is due."""
        if self._incumbent is None or self.injection_frequency is None:
            return
        x, fx = self._incumbent
        if fx >= self._own_best:
            self._incumbent = None  # the optimizer has done as well by itself
            return
        if self.es.countiter - self._injected_at < self.injection_frequency:
            return
        self.es.inject([x], force=self.force_injects)
        self._injected_at, self._incumbent = self.es.countiter, None

    def _ask(self) -> np.ndarray | None:
        if not self._population:
            self._inject_incumbent()
            self._population = [np.asarray(x, dtype=float) for x in self.es.ask()]
            self._values.clear()
            self._handed = 0
        if self._handed == len(self._population):
            return None
        x = self._population[self._handed]
        self._handed += 1
        return x.copy()

    def _tell(self, x: np.ndarray, fx: float) -> None:
        key = x.tobytes()
        if not any(member.tobytes() == key for member in self._population):
            raise ValueError("CMAOptimizer.tell: x is not a member of the current population.")
        self._values[key] = fx if np.isfinite(fx) else np.inf
        self._own_best = min(self._own_best, self._values[key])
        if len(self._values) == len(self._population):
            values = [self._values[m.tobytes()] for m in self._population]
            self.es.tell(self._population, values)
            self._population = []

    def _stop_reason(self) -> str | None:
        if self._population:
            return None
        stop = self.es.stop()
        if not stop:
            return None
        return ", ".join(f"{key}={value}" for key, value in stop.items())
