"""The base of every optimizer selector, and the optimizer specs it takes."""

from __future__ import annotations

import inspect
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSettingError, InvalidSettingTypeError
from ..optimizers.base import BaseOptimizer

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["OptimizerSpec", "SpawnControl", "BaseSelector"]

_Kwargs = Mapping[str, Any] | None
OptimizerSpec = (
    type[BaseOptimizer]
    | tuple[type[BaseOptimizer], _Kwargs]
    | tuple[type[BaseOptimizer], _Kwargs, _Kwargs]
)
"""An optimizer class, ``(class, init_kwargs)`` or GloMPO's ``(class, init_kwargs, call_kwargs)``.

Either kwargs may be ``None``. The optimizers here are ask/tell objects built with
``cls(bounds, x0, seed=..., **kwargs)``: GloMPO's ``call_kwargs`` (what its optimizers took in
``minimize``, e.g. CMA's ``sigma0``) join the ``init_kwargs``.
"""

SpawnControl = Callable[["RunView"], bool]
"""Called with the run's view before each start; ``False`` stops spawning for good."""

_RESERVED = frozenset({"bounds", "x0", "seed"})
_WORKERS_IGNORED = (
    "is ignored: an optimizer here is an ask/tell object that runs no threads or processes of "
    "its own; evaluations run in parallel on the manager's executor, up to max_jobs at once."
)


def _spec_class(spec: Any) -> tuple[Any, tuple[Any, ...]]:
    if not isinstance(spec, tuple):
        return spec, ()
    if len(spec) not in (2, 3):
        raise InvalidSettingError(
            f"An optimizer spec is a class, (class, init_kwargs) or (class, init_kwargs, "
            f"call_kwargs); got {spec!r}."
        )
    return spec[0], spec[1:]


def _accepted(cls: type[BaseOptimizer], kwargs: Mapping[str, Any]) -> None:
    params = inspect.signature(cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    names = {p.name for p in params} - _RESERVED
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise InvalidSettingError(
            f"{cls.__name__} takes no {unknown}; its keyword arguments are {sorted(names)}."
        )


def _normalise(spec: OptimizerSpec) -> tuple[type[BaseOptimizer], dict[str, Any]]:
    """``(class, kwargs)`` of a spec, the init and call kwargs joined, ``workers`` kept."""
    cls, dicts = _spec_class(spec)
    if not (isinstance(cls, type) and issubclass(cls, BaseOptimizer)):
        raise InvalidSettingTypeError(
            f"{cls!r} is not a subclass of glompo_scope_chkpt.optimizers.BaseOptimizer."
        )
    kwargs: dict[str, Any] = {}
    for what, given in zip(("init_kwargs", "call_kwargs"), dicts, strict=False):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise InvalidSettingTypeError(
                f"{what} of {cls.__name__} must be a dict or None, got {given!r}."
            )
        twice = sorted(set(given) & set(kwargs))
        if twice:
            raise InvalidSettingError(
                f"{cls.__name__}: {twice} given in both init_kwargs and call_kwargs; give each "
                f"once (both are passed to the constructor here)."
            )
        kwargs.update(given)
    reserved = sorted(_RESERVED & kwargs.keys())
    if reserved:
        raise InvalidSettingError(
            f"init_kwargs of {cls.__name__} may not set {reserved}: the manager sets them."
        )
    _accepted(cls, {k: v for k, v in kwargs.items() if k != "workers"})
    return cls, kwargs


def _controls(allow_spawn: Any) -> tuple[SpawnControl, ...]:
    if allow_spawn is None:
        return ()
    controls = tuple(allow_spawn) if isinstance(allow_spawn, (list, tuple)) else (allow_spawn,)
    for control in controls:
        if not callable(control):
            raise InvalidSettingTypeError(
                f"allow_spawn must be a callable (e.g. IterSpawnStop(10_000)), a list of them or "
                f"None, got {control!r}."
            )
    return controls


class BaseSelector(ABC):
    """Chooses the class and keyword arguments of each new optimizer.

    Parameters
    ----------
    *specs
        Optimizer classes, ``(class, init_kwargs)`` or ``(class, init_kwargs, call_kwargs)``
        (see :data:`OptimizerSpec`); keyword names are checked against the class. GloMPO's
        ``workers`` is passed to the classes that take it (points in flight at once, e.g.
        :class:`.NevergradOptimizer`) and ignored for the others, with one warning saying why.
    allow_spawn
        A callable, or a list of callables, called with the run's
        :class:`~glompo_scope_chkpt.engine.spawning.RunView` before each start (e.g.
        :class:`.IterSpawnStop`); once one returns ``False`` no more optimizers start, and the
        run ends when the running ones have ended.

    Raises
    ------
    InvalidSettingTypeError
        If a spec's class is not an optimizer class, its kwargs not a dict or ``None``, or
        ``allow_spawn`` not callables.
    InvalidSettingError
        If no spec is given, a spec is malformed, or its kwargs are unknown to the class, set
        what the manager sets, or are given twice.

    Attributes
    ----------
    stop_reason : str or None
        Why :meth:`select` last refused to start an optimizer.
    """

    def __init__(self, *specs: OptimizerSpec, allow_spawn: Any = None) -> None:
        if not specs:
            raise InvalidSettingError(f"{type(self).__name__} needs at least one optimizer spec.")
        normalised = [_normalise(spec) for spec in specs]
        dropped = [
            cls
            for cls, kwargs in normalised
            if "workers" in kwargs and "workers" not in inspect.signature(cls).parameters
        ]
        if dropped:
            names = ", ".join(cls.__name__ for cls in dropped)
            warnings.warn(f"workers= ({names}) {_WORKERS_IGNORED}", stacklevel=2)
        self.specs = [
            (cls, {k: v for k, v in kwargs.items() if cls not in dropped or k != "workers"})
            for cls, kwargs in normalised
        ]
        self.allow_spawn = _controls(allow_spawn)
        self.stop_reason: str | None = None

    def select(self, view: RunView) -> tuple[type[BaseOptimizer], dict[str, Any]] | None:
        """Return ``(class, kwargs)`` of the next optimizer, or ``None`` to start no more.

        The spawn controls are asked first. The manager takes ``None`` as final: it starts no
        other optimizer and ends the run once the running ones have ended. A resumed run asks
        again, so a spawn control should not allow starts again once it has refused (the
        controls here count evaluations or optimizers, and never do).
        """
        for control in self.allow_spawn:
            if not control(view):
                self.stop_reason = f"{control!r} allows no more optimizers to start"
                return None
        index = self._select(view)
        if index is None:
            self.stop_reason = self._why_no_more(view)
            return None
        cls, kwargs = self.specs[index]
        return cls, dict(kwargs)

    @abstractmethod
    def _select(self, view: RunView) -> int | None:
        """Index in :attr:`specs` of the next optimizer, or ``None`` to start no more."""

    def _why_no_more(self, view: RunView) -> str:
        """Why :meth:`_select` refused (for the run's end reason)."""
        return f"{type(self).__name__} starts no more optimizers"

    def _repr_extras(self) -> list[str]:
        return [f"allow_spawn={list(self.allow_spawn)!r}"] if self.allow_spawn else []

    def __contains__(self, item: object) -> bool:
        """Whether the optimizer class ``item`` is one of the selector's."""
        return any(cls is item for cls, _ in self.specs)

    def __repr__(self) -> str:
        parts = [f"({cls.__name__}, {kwargs})" for cls, kwargs in self.specs]
        return f"{type(self).__name__}({', '.join(parts + self._repr_extras())})"
