"""Finding, before a run starts, the nevergrad algorithms that could not be checkpointed.

nevergrad runs some algorithms (its wrappers of scipy, ``cma.fmin2``, ...) in a thread, which
does not pickle, and NGOpt picks its algorithm lazily, deep inside portfolios of others: the
choice is made at once and the optimizer's objects are walked to find such an algorithm.
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["threaded_algorithms"]

_LEAVES = (
    str,
    bytes,
    int,
    float,
    complex,
    type(None),
    np.ndarray,
    np.generic,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)


def _reachable(root: Any) -> Iterator[Any]:
    """Every object reachable from ``root`` through attributes and containers, each once."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset | deque):
            todo.extend(obj)
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            todo.extend(attributes.values())


def threaded_algorithms(root: Any) -> list[str]:
    """Make NGOpt choose its algorithms now; return the names of those that run in a thread."""
    from nevergrad.optimization.optimizerlib import NGOptBase
    from nevergrad.optimization.recaster import RecastOptimizer

    seen = -1
    while True:
        objects = list(_reachable(root))
        if len(objects) == seen:
            return [obj.name for obj in objects if isinstance(obj, RecastOptimizer)]
        seen = len(objects)
        for obj in objects:
            if isinstance(obj, NGOptBase):
                obj.optim  # noqa: B018 (the property builds the chosen optimizer)
