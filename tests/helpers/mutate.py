"""A seeded mutator for the fuzz tests: hostile values, JSON trees and byte strings.

Every function takes a ``random.Random``, so a case is reproduced from its seed alone.
Import from tests as ``from tests.helpers.mutate import mutate_bytes, mutate_json``.
"""

from __future__ import annotations

import copy
import random
from typing import Any

__all__ = ["fuzz_cases", "hostile_value", "mutate_bytes", "mutate_json"]

_HOSTILE_STRINGS = [
    "", ".", "..", "../..", "../../..", "/", "/tmp/x", "/etc/passwd", "a\0b", "a\\b", "C:\\x",
    "x" * 300, "d/" * 2500, "é" * 200, "\udcff", "segments/../../x.ts", "~", "$HOME", "NaN",
]  # fmt: skip
_HOSTILE_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    0.5,
    -0.0,
    1e308,
    float("inf"),
    float("nan"),
]


def fuzz_cases(default: int) -> int:
    """Cases per file kind: ``GLOMPO_FUZZ_CASES`` from the environment, else ``default``."""
    import os

    return int(os.environ.get("GLOMPO_FUZZ_CASES", default))


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    """A value of a random JSON type, chosen to break code that trusts its input."""
    kind = rng.randrange(8 if depth < 2 else 5)
    if kind == 0:
        return rng.choice(_HOSTILE_STRINGS)
    if kind == 1:
        return rng.choice(_HOSTILE_NUMBERS)
    if kind == 2:
        return rng.choice([None, True, False])
    if kind == 3:
        return rng.randrange(-5, 10**6)
    if kind == 4:
        return _nested(rng.choice([50, 500]))
    if kind == 5:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 6:
        return {rng.choice(_HOSTILE_STRINGS): hostile_value(rng, depth + 1)}
    return rng.choice(_HOSTILE_STRINGS) * rng.randrange(1, 3)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _containers(tree: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every list and dict in ``tree`` (the root is ``()``)."""
    found = []
    if isinstance(tree, (dict, list)):
        found.append(path)
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            found.extend(_containers(value, (*path, key)))
    return found


def _at(tree: Any, path: tuple) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def mutate_json(rng: random.Random, tree: Any, steps: int = 1) -> Any:
    """A copy of ``tree`` with ``steps`` random changes: set, delete, add or swap values."""
    tree = copy.deepcopy(tree)
    for _ in range(steps):
        containers = _containers(tree)
        if not containers:
            return hostile_value(rng)
        target = _at(tree, rng.choice(containers))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        action = rng.randrange(4)
        if action == 0 and keys:
            target[rng.choice(keys)] = hostile_value(rng)
        elif action == 1 and keys:
            del target[rng.choice(keys)]
        elif action == 2 and len(keys) > 1:
            a, b = rng.sample(keys, 2)
            target[a], target[b] = target[b], target[a]
        elif isinstance(target, dict):
            target[rng.choice([*_HOSTILE_STRINGS, "extra"])] = hostile_value(rng)
        else:
            target.insert(rng.randrange(len(target) + 1), hostile_value(rng))
    return tree


def mutate_bytes(rng: random.Random, data: bytes, start: int = 0) -> bytes:
    """``data`` with random bytes flipped, a range cut, bytes inserted, or its tail cut off.

    Only bytes from ``start`` on are changed.
    """
    out = bytearray(data)
    span = len(out) - start
    if span <= 0:
        return bytes(out)
    action = rng.randrange(4)
    if action == 0:
        for _ in range(rng.randrange(1, 9)):
            out[start + rng.randrange(span)] ^= rng.randrange(1, 256)
    elif action == 1:
        cut = start + rng.randrange(span)
        del out[cut : cut + rng.randrange(1, 512)]
    elif action == 2:
        at = start + rng.randrange(span)
        out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    else:
        del out[start + rng.randrange(span) :]
    return bytes(out)
