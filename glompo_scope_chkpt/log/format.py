"""The HDF5 log's format (layout: see :mod:`.writer`): constants, low-level file helpers, reading.

Shared by the writer (:mod:`.writer`) and the rollback on resume (:mod:`.rollback`): names and
dtypes of the layout; creating, opening and ``fsync``-ing the file; creating and appending to
optimizer groups; turning values into attributes. :func:`read_log` (also importable from
:mod:`.writer`) reads a log or a rollback file back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._fileio import atomic_path
from .._logging import get_logger
from .._run_files import LOG_FILENAME
from ..errors import InvalidSettingError, LogFileError
from .undo import journal_path, open_restored

__all__ = [
    "CHUNK_BYTES",
    "GROUP_PREFIX",
    "LIBVER",
    "LOG_FILENAME",
    "LOG_FORMAT",
    "MSG_DTYPE",
    "MSGS_ATTR",
    "NOT_ENDED",
    "RESERVED_ATTRS",
    "append_messages",
    "append_rows",
    "chunk_rows",
    "create_log_file",
    "create_optimizer_group",
    "new_dataset",
    "now_iso",
    "package_version",
    "read_log",
    "ROWS_ATTR",
    "row_dtype",
    "to_attr",
    "valid_sizes",
    "validate_args",
]

LOG_FORMAT = "glompo_scope_chkpt.log.writer/1"
"""Value of the root attribute ``format``: the layout described in :mod:`.writer`."""

LIBVER = ("v108", "v108")
"""HDF5 format bounds of every log and rollback file (durability notes: :mod:`.writer`)."""
NOT_ENDED = -1
"""``end_call`` of an optimizer still running."""
CHUNK_BYTES = 128 * 1024
GROUP_PREFIX = "optimizer_"
ROWS_ATTR, MSGS_ATTR = "n_rows", "n_messages"
"""Attributes of an optimizer group counting the valid rows of ``iter_history`` and
``messages``: a write that failed may have grown a dataset past them (logs written before
these attributes existed have none: all their rows are valid)."""
RESERVED_ATTRS = frozenset(
    {"format", "key", "n_params", "f_counter", "started_at_call", "created", "package_version"}
    | {"rollbacks"}
)
MSG_DTYPE = np.dtype([("call_id", "<i8"), ("message", h5py.string_dtype())])

logger = get_logger("glompo_scope_chkpt.log.writer")
"""The log's logger, shared by the modules of the log."""


def row_dtype(n_params: int) -> np.dtype:
    """Return the compound dtype of one ``iter_history`` row for ``n_params`` parameters."""
    return np.dtype([("call_id", "<i8"), ("x", "<f8", (n_params,)), ("fx", "<f8")])


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_version() -> str:
    """The version of this package, written into every file."""
    from .. import __version__

    return __version__


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def to_attr(name: str, value: object) -> object:
    """Return ``value`` as an HDF5 attribute: scalars as they are, anything else as JSON text.

    Raises
    ------
    InvalidSettingError
        If ``value`` is neither a scalar nor JSON serialisable.
    """
    if isinstance(value, (str, bool, int, float, np.generic)):
        return value
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as err:
        raise InvalidSettingError(f"Log attribute {name!r} cannot be stored: {err}.") from err


def chunk_rows(dtype: np.dtype) -> int:
    """Rows per chunk of the log's datasets of ``dtype`` (about ``CHUNK_BYTES`` per chunk)."""
    return max(16, min(8192, CHUNK_BYTES // dtype.itemsize))


def new_dataset(group: h5py.Group, name: str, dtype: np.dtype, size: int = 0) -> h5py.Dataset:
    """Create a resizable, chunked (:func:`chunk_rows`) 1-D dataset in ``group``."""
    chunks = (chunk_rows(dtype),)
    return group.create_dataset(name, shape=(size,), maxshape=(None,), chunks=chunks, dtype=dtype)


def create_optimizer_group(
    f: h5py.File, name: str, dtype: np.dtype, spec: Mapping[str, Any]
) -> None:
    """Create the group ``name`` of a running optimizer with its two empty datasets.

    ``spec`` gives the attributes ``type``, ``start_call`` and ``metadata``; ``dtype`` is the
    :func:`row_dtype` of the log.
    """
    group = f.create_group(name)
    group.attrs.update(
        type=spec["type"],
        start_call=spec["start_call"],
        end_call=NOT_ENDED,
        end_reason="",
        metadata=spec["metadata"],
    )
    group.attrs.create(ROWS_ATTR, 0, dtype=np.int64)
    group.attrs.create(MSGS_ATTR, 0, dtype=np.int64)
    new_dataset(group, "iter_history", dtype)
    new_dataset(group, "messages", MSG_DTYPE)


def valid_sizes(group: h5py.Group) -> tuple[int, int]:
    """Return how many rows of ``iter_history`` and ``messages`` are valid in ``group``."""
    sizes = []
    for name, attr in (("iter_history", ROWS_ATTR), ("messages", MSGS_ATTR)):
        size = group[name].shape[0]
        counted = group.attrs.get(attr)
        sizes.append(size if counted is None else max(0, min(size, int(counted))))
    return sizes[0], sizes[1]


def append_rows(ds: h5py.Dataset, start: int, rows: np.ndarray, mtype: Any) -> int:
    """Write ``rows`` at index ``start`` of ``ds``, growing it; return the new size.

    ``start`` is the dataset's size, kept by the caller; the low-level write (``mtype`` is the
    HDF5 memory type of ``rows``) skips the per-call checks of ``ds[...] = rows``.
    """
    ds.resize((start + len(rows),))
    space = ds.id.get_space()
    space.select_hyperslab((start,), (len(rows),))
    ds.id.write(h5py.h5s.create_simple((len(rows),)), space, rows, mtype=mtype)
    return start + len(rows)


def append_messages(ds: h5py.Dataset, start: int, items: list[tuple[int, str]]) -> int:
    """Write ``(call_id, message)`` pairs at index ``start`` of a ``messages`` dataset.

    Returns
    -------
    int
        The dataset's new size.
    """
    stop = start + len(items)
    ds.resize((stop,))
    ds[start:stop] = np.array(items, dtype=MSG_DTYPE)
    return stop


def create_log_file(
    path: Path, key: str, n_params: int, metadata: Mapping[str, Any], started_at_call: int
) -> None:
    """Write a new, empty log atomically.

    Raises
    ------
    InvalidSettingError
        If ``metadata`` uses a reserved attribute name or holds an unstorable value.
    """
    clash = RESERVED_ATTRS.intersection(metadata)
    if clash:
        raise InvalidSettingError(f"Log metadata may not use the reserved names {sorted(clash)}.")
    values = {name: to_attr(name, value) for name, value in metadata.items()}
    journal_path(path).unlink(missing_ok=True)  # of a log that is gone: never undo into this one
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver=LIBVER) as f:
        f.attrs.update(
            format=LOG_FORMAT,
            key=key,
            n_params=n_params,
            f_counter=started_at_call,
            started_at_call=started_at_call,
            created=now_iso(),
            package_version=package_version(),
            rollbacks="[]",
        )
        f.attrs.update(values)
    logger.info("Created log %s", path)


def validate_args(key: str, n_params: int, buffer_rows: int | None, f_counter: int) -> None:
    """Check the arguments of :meth:`.OptimizationLog.create` and ``resume`` (``buffer_rows``
    ``None``: the default).

    Raises
    ------
    InvalidSettingError
        If the key is empty or a count is out of range.
    """
    if not isinstance(key, str) or not key:
        raise InvalidSettingError(f"The log key must be a non-empty string, not {key!r}.")
    too_few_rows = buffer_rows is not None and int(buffer_rows) < 1
    if int(n_params) < 1 or too_few_rows or int(f_counter) < 0:
        raise InvalidSettingError(
            f"Need n_params >= 1, buffer_rows >= 1 and f_counter >= 0; got {n_params}, "
            f"{buffer_rows}, {f_counter}."
        )


def read_log(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a log (or a rollback file) into plain Python and numpy objects.

    Returns
    -------
    dict
        ``{"attrs": {...}, "optimizers": {id: {"attrs", "call_id", "x", "fx", "messages"}}}``;
        the JSON attributes ``metadata`` and ``rollbacks`` are decoded.

    Raises
    ------
    LogFileError
        If the file cannot be read, or is not laid out as a log.
    """
    try:
        with open_restored(Path(path)) as f:
            out: dict[str, Any] = {"attrs": _plain_attrs(f.attrs), "optimizers": {}}
            for name, group in f.items():
                if name.startswith(GROUP_PREFIX):
                    n_rows, n_msgs = valid_sizes(group)
                    rows, msgs = group["iter_history"][:n_rows], group["messages"][:n_msgs]
                    out["optimizers"][int(name[len(GROUP_PREFIX) :])] = {
                        "attrs": _plain_attrs(group.attrs),
                        "call_id": rows["call_id"],
                        "x": rows["x"],
                        "fx": rows["fx"],
                        "messages": [
                            (int(c), m.decode() if isinstance(m, bytes) else str(m))
                            for c, m in msgs
                        ],
                    }
    except OSError as err:
        raise LogFileError(f"The log {path} cannot be read: {err}") from err
    except (KeyError, ValueError, TypeError, IndexError, RecursionError) as err:
        raise LogFileError(
            f"The log {path} is not laid out as a log of this package ({type(err).__name__}: "
            f"{err}); read it with h5py directly."
        ) from err
    return out


def _plain_attrs(attrs: h5py.AttributeManager) -> dict[str, Any]:
    plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in attrs.items()}
    for name in ("metadata", "rollbacks"):
        if isinstance(plain.get(name), str):
            plain[name] = json.loads(plain[name])
    return plain
