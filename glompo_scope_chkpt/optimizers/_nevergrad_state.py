"""What makes a nevergrad optimizer pickle, and resume exactly in another process.

Two traps, both fixed by walking the optimizer's objects:

- nevergrad runs some algorithms (its wrappers of scipy, ``cma.fmin2``, ...) in a thread, which
  does not pickle, and NGOpt picks its algorithm lazily: the choice is made at once, so that such
  an algorithm is found (and refused) before the run starts.
- pycma keys the solutions it hands out by ``hash(x.tobytes())``, and the hash of bytes is salted
per interpreter: keys pickled with a checkpoint match nothing in the process that resumes it, so
pycma would take the points of a half-told population for foreign ones and recompute their
genotypes. A library that builds its pycma strategies itself (nevergrad) cannot be told to key
them otherwise, so after unpickling every archive is keyed again with this process's hashes,
from the points it kept.
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["rekey_solution_archives", "threaded_algorithms"]

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


def _rekey(archive: Any) -> None:
    """Key the entries of one ``SolutionDict`` with this process's ``archive.key``."""
    old = archive._unhashed_keys
    if not old:
        return
    new_key = {key: archive.key(point) for key, point in old.items()}
    archive.data = {new_key.get(key, key): value for key, value in archive.data.items()}
    archive.data_with_same_key = {
        new_key.get(key, key): values for key, values in archive.data_with_same_key.items()
    }
    archive._unhashed_keys = {new_key[key]: point for key, point in old.items()}


def rekey_solution_archives(root: Any) -> int:
    """Key again every pycma ``SolutionDict`` reachable from ``root``; return how many.

    Does nothing (and imports nothing) when pycma was never imported.
    """
    import sys

    module = sys.modules.get("cma.utilities.utils")
    if module is None:
        return 0
    archives = [obj for obj in _reachable(root) if isinstance(obj, module.SolutionDict)]
    for archive in archives:
        _rekey(archive)
    return len(archives)


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
