"""Counting how often packed (ended) traces are unpacked, to test that a reader does it lazily."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.core.packed_trace import PackedTrace

__all__ = ["count_unpacks"]


def count_unpacks(monkeypatch: pytest.MonkeyPatch) -> list[PackedTrace]:
    """From now on (for the test), every :meth:`PackedTrace.unpack` appends its trace here."""
    unpacked: list[PackedTrace] = []
    unpack = PackedTrace.unpack

    def counted(self: PackedTrace) -> tuple[np.ndarray, np.ndarray]:
        unpacked.append(self)
        return unpack(self)

    monkeypatch.setattr(PackedTrace, "unpack", counted)
    return unpacked
