"""What a checkpoint's pickle holds: dumped fast, loaded only after its version and types check.

The payload is ``{"settings": ManagerSettings, "state": RunState, "elapsed": float}``. Its state
version is also written to the archive's ``meta.json``, so a checkpoint of another version is
refused with both versions named *before* anything is unpickled (unpickling it could fail in
confusing ways once classes have moved).
"""

from __future__ import annotations

import io
import math
import pickle
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill

from .. import __version__
from ..core.settings import ManagerSettings
from ..core.state import STATE_VERSION, RunState
from ..errors import CheckpointLoadError
from .archive import CheckpointContents

__all__ = ["SavedRun", "dumps_state", "loads_run"]


class _ImportablePickler(pickle.Pickler):
    """The standard pickler, refusing what only dill can restore in another process."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType)) and obj.__module__ == "__main__":
            raise pickle.PicklingError(f"{obj!r} lives in __main__")
        return NotImplemented


def dumps_state(obj: Any) -> bytes:
    """Pickle ``obj`` with the fast standard pickler, or with dill when that is needed.

    The standard pickler is ~10x faster on optimizer state; dill handles lambdas, closures and
    classes defined in ``__main__`` by value. ``dill.loads`` reads either.
    """
    buffer = io.BytesIO()
    try:
        _ImportablePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception:
        return dill.dumps(obj)
    return buffer.getvalue()


@dataclass(frozen=True)
class SavedRun:
    """A checkpoint's payload, checked: the run's settings, its state and its elapsed time."""

    settings: ManagerSettings
    state: RunState
    elapsed: float


def _check_version(archive: Path, meta: dict[str, Any]) -> None:
    found = meta.get("state_version", 1)
    if found != STATE_VERSION:
        written_by = meta.get("package_version", "an unknown version")
        raise CheckpointLoadError(
            f"Checkpoint {archive} was written by glompo_scope_chkpt {written_by} (state version "
            f"{found}); this is glompo_scope_chkpt {__version__} (state version {STATE_VERSION}). "
            f"Resume it with glompo_scope_chkpt {written_by}, or start the optimization anew."
        )


def loads_run(archive: Path, contents: CheckpointContents) -> SavedRun:
    """Unpickle and check the payload of the checkpoint ``archive``.

    Loading unpickles: only load checkpoints from a source you trust.

    Raises
    ------
    CheckpointLoadError
        If the checkpoint is of another state version, cannot be unpickled, or holds
        something other than a run of this package.
    """
    _check_version(archive, contents.meta)
    try:
        saved = dill.loads(contents.payload)
    except Exception as exc:
        raise CheckpointLoadError(
            f"Checkpoint {archive} could not be unpickled ({exc!r}); the classes it refers to "
            "(optimizers, task, checkers) must be importable."
        ) from exc
    settings = saved.get("settings") if isinstance(saved, dict) else None
    state = saved.get("state") if isinstance(saved, dict) else None
    elapsed = saved.get("elapsed") if isinstance(saved, dict) else None
    if (
        not isinstance(settings, ManagerSettings)
        or not isinstance(state, RunState)
        or isinstance(elapsed, bool)
        or not isinstance(elapsed, (int, float))
        or not math.isfinite(elapsed)
        or elapsed < 0
    ):
        raise CheckpointLoadError(
            f"Checkpoint {archive} does not hold a run of glompo_scope_chkpt (its payload is "
            f"{type(saved).__name__} without valid settings, state and elapsed time); it was "
            "altered or written by another program. Load an earlier checkpoint instead."
        )
    if state.version != STATE_VERSION:
        raise CheckpointLoadError(
            f"Checkpoint {archive} holds state version {state.version}, but its metadata says "
            f"{contents.meta.get('state_version', 1)}; it was altered. Load an earlier one."
        )
    return SavedRun(settings, state, float(elapsed))
