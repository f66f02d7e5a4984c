"""The records of ended optimizers, packed into columns for a checkpoint.

A run that ends thousands of optimizers (a crash storm, or optimizers that converge at once)
keeps a record of each: what the log and the summary show, the best point the generators may
start from and the last point the hunters compare against. Pickled one by one, a record costs
about 160 bytes (its field names, a small array object per point, its options dict); packed
into one array per field and compressed, a few dozen. Running optimizers are not packed: they
hold their optimizer.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any

import numpy as np

from .history import PointWindow
from .state import OptimizerRecord

__all__ = ["pack_ended", "unpack_ended"]

_INTS = ("opt_id", "start_call", "n_evals", "evals_at_improvement", "end_call")
_LEVEL = 1
"""zlib level: the columns repeat a lot (kinds, reasons); level 1 takes most of it, fast."""


def _kind(record: OptimizerRecord) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return record.opt_type, record.status, tuple(record.options.items())


def _points(arrays: list[np.ndarray | None], n_params: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``arrays`` stacked in rows (NaN for ``None``) and which rows hold one."""
    held = np.array([a is not None for a in arrays], dtype=bool)
    rows = np.full((len(arrays), n_params), np.nan)
    for row, array in enumerate(arrays):
        if array is not None:
            rows[row] = array
    return rows, held


def _windows(records: list[OptimizerRecord], n_params: int) -> dict[str, np.ndarray]:
    """The hunters' last point of each record: capacity (-1 for none), point and value."""
    capacity = np.array([-1 if r.recent is None else r.recent.capacity for r in records])
    last = [r.recent if r.recent is not None and len(r.recent) else None for r in records]
    x, held = _points([None if w is None else w.x[-1] for w in last], n_params)
    fx = np.array([np.nan if w is None else w.fx[-1] for w in last], dtype=np.float64)
    return {"recent_capacity": capacity, "recent_x": x, "recent_held": held, "recent_fx": fx}


def _ints(records: list[OptimizerRecord]) -> np.ndarray:
    """The integer fields, one row per field (-1 for ``None``)."""
    rows = [[-1 if getattr(r, f) is None else getattr(r, f) for r in records] for f in _INTS]
    return np.array(rows, dtype=np.int64).reshape(len(_INTS), len(records))


def _n_params(records: list[OptimizerRecord]) -> int:
    """Length of the records' points (0 when none holds one)."""
    shapes = [r.best_x.shape[-1] for r in records if r.best_x is not None]
    shapes += [r.recent.x.shape[-1] for r in records if r.recent is not None]
    return max(shapes, default=0)


def pack_ended(records: list[OptimizerRecord]) -> bytes:
    """Pack the records of ended optimizers, which keep at most their last recent point."""
    n_params = _n_params(records)
    kinds = list(dict.fromkeys(_kind(r) for r in records))
    index = {kind: i for i, kind in enumerate(kinds)}
    best_x, best_held = _points([r.best_x for r in records], n_params)
    columns: dict[str, Any] = {
        "n_params": n_params,
        "kinds": kinds,
        "kind": np.array([index[_kind(r)] for r in records], dtype=np.int64),
        "ints": np.diff(_ints(records), axis=1, prepend=0),  # steps compress better
        "best_fx": np.array([r.best_fx for r in records], dtype=np.float64),
        "best_x": best_x,
        "best_held": best_held,
        "end_reason": [r.end_reason for r in records],
        **_windows(records, n_params),
    }
    return zlib.compress(pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL), _LEVEL)


def _window(capacity: int, held: bool, x: np.ndarray, fx: float, n_params: int) -> Any:
    if capacity < 0:
        return None
    window = PointWindow(capacity, n_params)
    if held:
        window.append(x, fx)
    return window


def unpack_ended(packed: bytes) -> list[OptimizerRecord]:
    """The records :func:`pack_ended` packed, in the same order."""
    c = pickle.loads(zlib.decompress(packed))  # our own bytes: a checkpoint is trusted
    n_params = c["n_params"]
    records = []
    for row, ints in enumerate(np.cumsum(c["ints"], axis=1).T.tolist()):
        opt_id, start_call, n_evals, evals_at_improvement, end_call = ints
        opt_type, status, options = c["kinds"][c["kind"][row]]
        records.append(
            OptimizerRecord(
                opt_id=opt_id,
                opt_type=opt_type,
                optimizer=None,
                start_call=start_call,
                n_evals=n_evals,
                best_fx=float(c["best_fx"][row]),
                best_x=c["best_x"][row].copy() if c["best_held"][row] else None,
                evals_at_improvement=evals_at_improvement,
                status=status,
                end_reason=c["end_reason"][row],
                end_call=None if end_call < 0 else end_call,
                options=dict(options),
                recent=_window(
                    int(c["recent_capacity"][row]),
                    bool(c["recent_held"][row]),
                    c["recent_x"][row],
                    float(c["recent_fx"][row]),
                    n_params,
                ),
            )
        )
    return records
