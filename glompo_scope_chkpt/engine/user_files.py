"""The files a user drops in the working dir to steer a running optimization.

``CHKPT`` asks for a checkpoint; ``STOP_<opt_id>`` stops that optimizer (as GloMPO does). The
session looks for them every :data:`POLL_SECONDS` and removes each once it acted on it; a
``STOP_`` file naming no optimizer of the run is left alone, with one warning.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .._run_files import CHECKPOINT_REQUEST, STOP_PREFIX
from ..core.state import OptimizerRecord, RunState

__all__ = ["POLL_SECONDS", "UserFiles"]

POLL_SECONDS = 0.1
"""How often the working dir is looked at."""


@dataclass
class UserFiles:
    """The control files of the working dir ``folder``.

    Attributes
    ----------
    folder
        The working dir.
    warned
        Names of the ``STOP_`` files already warned about.
    """

    folder: Path
    warned: set[str] = field(default_factory=set)

    def found(self) -> list[Path]:
        """The control files there now, sorted by name."""
        with os.scandir(self.folder) as entries:
            names = [e.name for e in entries if _is_control(e.name)]
        return [self.folder / name for name in sorted(names)]

    def to_stop(self, path: Path, state: RunState) -> OptimizerRecord | None:
        """The optimizer the ``STOP_`` file ``path`` names; ``None`` (warned once) if none."""
        suffix = path.name[len(STOP_PREFIX) :]
        record = state.optimizers.get(int(suffix)) if suffix.isdigit() else None
        if record is None and path.name not in self.warned:
            self.warned.add(path.name)
            warnings.warn(
                f"{path} names no optimizer of this run; use {STOP_PREFIX}<opt_id> with the id of "
                f"a running optimizer (1..{state.n_started}).",
                stacklevel=3,
            )
        return record


def _is_control(name: str) -> bool:
    return name == CHECKPOINT_REQUEST or name.startswith(STOP_PREFIX)
