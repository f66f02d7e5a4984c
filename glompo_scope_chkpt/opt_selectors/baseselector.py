"""The base of every optimizer selector, and the optimizer specs it takes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidSettingError
from ..optimizers.base import BaseOptimizer

__all__ = ["OptimizerSpec", "BaseSelector"]

OptimizerSpec = type[BaseOptimizer] | tuple[type[BaseOptimizer], Mapping[str, Any]]
"""An optimizer class, or ``(class, init_kwargs)``."""


def _normalise(spec: OptimizerSpec) -> tuple[type[BaseOptimizer], dict[str, Any]]:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[1], Mapping):
            raise InvalidSettingError(
                f"An optimizer spec is a class or (class, init_kwargs); got {spec!r}."
            )
        cls, kwargs = spec[0], dict(spec[1])
    else:
        cls, kwargs = spec, {}
    if not (isinstance(cls, type) and issubclass(cls, BaseOptimizer)):
        raise InvalidSettingError(
            f"{cls!r} is not a subclass of glompo_scope_chkpt.optimizers.BaseOptimizer."
        )
    reserved = {"bounds", "x0", "seed"} & kwargs.keys()
    if reserved:
        raise InvalidSettingError(
            f"init_kwargs of {cls.__name__} may not set {sorted(reserved)}: the manager sets them."
        )
    return cls, kwargs


class BaseSelector(ABC):
    """Chooses the class and keyword arguments of each new optimizer.

    Parameters
    ----------
    *specs
        Optimizer classes, or ``(class, init_kwargs)`` pairs.

    Raises
    ------
    InvalidSettingError
        If no spec is given or a spec is not an optimizer class.
    """

    def __init__(self, *specs: OptimizerSpec) -> None:
        if not specs:
            raise InvalidSettingError(f"{type(self).__name__} needs at least one optimizer spec.")
        self.specs = [_normalise(spec) for spec in specs]

    @abstractmethod
    def select(self, n_started: int) -> tuple[type[BaseOptimizer], dict[str, Any]]:
        """Return ``(class, init_kwargs)`` for the optimizer started after ``n_started`` others."""

    def __repr__(self) -> str:
        inner = ", ".join(f"({cls.__name__}, {kwargs})" for cls, kwargs in self.specs)
        return f"{type(self).__name__}({inner})"
