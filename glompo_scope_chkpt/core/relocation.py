"""Where a loaded run continues: its folders, resolved against where the checkpoint lies now.

A checkpoint stores the run's folders as they were when it was written. A run folder may since
have been moved or copied (scratch to project space, another machine), so on load the folders
*inside the run* are taken relative to the checkpointing dir the checkpoint was loaded from:

* the checkpointing dir is the folder holding the loaded checkpoint;
* the working dir keeps its place relative to the checkpointing dir, when one of the two lies
  inside the other (``run/`` and ``run/checkpoints`` is the usual layout);
* a working dir outside that relation cannot be placed and is never written blindly: loading a
  moved checkpoint of such a run asks for ``working_dir=``.

An explicit ``working_dir=`` override moves the checkpointing dir along with it (it keeps its
place inside the working dir), unless ``checkpoint_control=`` names another one.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InvalidSettingError
from .settings import ManagerSettings
from .state import RunState

__all__ = ["relocation_overrides"]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _same_folder(saved: Path, here: Path) -> bool:
    if saved == here:
        return True
    try:
        return os.path.samefile(saved, here)
    except OSError:
        return False


def _moved(path: Path, old_root: Path, new_root: Path) -> Path:
    return Path(os.path.normpath(new_root / os.path.relpath(path, old_root)))


def _control_in(settings: ManagerSettings, folder: Path) -> Any:
    control = copy.copy(settings.checkpoint_control)
    control.checkpointing_dir = folder
    return control


def relocation_overrides(
    settings: ManagerSettings, state: RunState, loaded_from: Path, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Return ``overrides`` completed with the folders a loaded run continues in.

    ``state``'s checkpoint records are updated to where the checkpoints now lie.

    Parameters
    ----------
    settings, state
        As unpickled from the checkpoint.
    loaded_from
        The folder holding the loaded checkpoint.
    overrides
        The user's overrides; those given win.

    Raises
    ------
    InvalidSettingError
        If the checkpoint was moved away from a working dir that lies outside the run folder,
        and no ``working_dir=`` says where the run continues.
    """
    saved_chk, saved_wd = settings.checkpoint_control.checkpointing_dir, settings.working_dir
    here = Path(os.path.abspath(loaded_from))
    chk, wd = saved_chk, saved_wd
    if not _same_folder(saved_chk, here):
        if _inside(saved_chk, saved_wd) or _inside(saved_wd, saved_chk):
            wd = _moved(saved_wd, saved_chk, here)
        elif "working_dir" not in overrides:
            raise InvalidSettingError(
                f"The checkpoints of this run were written in {saved_chk} and are now in "
                f"{here}; its working dir {saved_wd} lies outside them, so where the run "
                "continues is unknown. Pass working_dir=... to load_manager."
            )
        chk = here
        state.checkpoints = [
            replace(c, path=str(here / Path(c.path).name))
            if Path(c.path).parent == saved_chk
            else c
            for c in state.checkpoints
        ]
    if "working_dir" in overrides:
        new_wd = Path(os.path.abspath(overrides["working_dir"]))
        if _inside(chk, wd):
            chk = _moved(chk, wd, new_wd)
        wd = new_wd
    completed: dict[str, Any] = {}
    if wd != saved_wd:
        completed["working_dir"] = wd
    if chk != saved_chk:
        completed["checkpoint_control"] = _control_in(settings, chk)
    completed.update(overrides)
    return completed
