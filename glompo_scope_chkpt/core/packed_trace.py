"""The compact form of an ended optimizer's trace: its columns packed with zlib.

An optimizer that ended gains no more evaluations but for late results of evaluations in flight
(kept unpacked after the packed ones), yet the scope and the trajectory plots draw its trace to
the end of the run. Held as two arrays it costs 16 bytes per evaluation; packed, 7 to 8: the
evaluation numbers as differences (small integers, about 1 byte each after zlib) and the values
byte-shuffled (the bytes of equal rank of every float64 together, so the signs and exponents,
much alike along a trace, compress), then zlib at its fastest level (about 0.3 µs per evaluation
to pack).
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["PackedTrace"]

_LEVEL = 1
"""zlib's fastest level: level 6 packed the values of a measured trace only 0.5 % smaller at
twice the time."""


def _shuffle(values: np.ndarray) -> bytes:
    return values.view(np.uint8).reshape(-1, values.itemsize).T.tobytes()


def _unshuffle(data: bytes, dtype: type, size: int) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    planes = np.frombuffer(data, dtype=np.uint8).reshape(itemsize, size)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(size)


@dataclass(frozen=True)
class PackedTrace:
    """A trace's evaluation numbers and values, packed; :meth:`unpack` gives them back exactly.

    Attributes
    ----------
    packed
        How many evaluations the packed columns hold (at least one).
    first_call, last_call
        Its first and last evaluation numbers.
    call_ids, fx
        The packed columns.
    late_call_ids, late_fx
        Evaluations added after packing (late results of an ended optimizer), unpacked.
    """

    packed: int
    first_call: int
    last_call: int
    call_ids: bytes
    fx: bytes
    late_call_ids: tuple[int, ...] = ()
    late_fx: tuple[float, ...] = ()

    @property
    def size(self) -> int:
        """How many evaluations it holds."""
        return self.packed + len(self.late_fx)

    @classmethod
    def pack(cls, call_ids: np.ndarray, fx: np.ndarray) -> PackedTrace:
        """Pack a non-empty trace: ascending ``call_ids`` (int64) and their ``fx`` (float64)."""
        steps = np.diff(np.asarray(call_ids, dtype=np.int64), prepend=0)
        values = np.ascontiguousarray(fx, dtype=np.float64)
        return cls(
            packed=len(values),
            first_call=int(call_ids[0]),
            last_call=int(call_ids[-1]),
            call_ids=zlib.compress(_shuffle(steps), _LEVEL),
            fx=zlib.compress(_shuffle(values), _LEVEL),
        )

    def appended(self, call_id: int, fx: float) -> PackedTrace:
        """This trace with one more evaluation (after its last one), left unpacked."""
        return dataclasses.replace(
            self,
            last_call=int(call_id),
            late_call_ids=(*self.late_call_ids, int(call_id)),
            late_fx=(*self.late_fx, float(fx)),
        )

    def unpack(self) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation numbers and values, as new writable arrays."""
        steps = _unshuffle(zlib.decompress(self.call_ids), np.int64, self.packed)
        fx = _unshuffle(zlib.decompress(self.fx), np.float64, self.packed)
        call_ids = np.cumsum(steps)
        if self.late_fx:
            call_ids = np.append(call_ids, np.array(self.late_call_ids, dtype=np.int64))
            fx = np.append(fx, np.array(self.late_fx, dtype=np.float64))
        return call_ids, fx
