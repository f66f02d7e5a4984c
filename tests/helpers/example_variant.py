"""Run a GloMPO example script as a resumable job: checkpoints on, the movie recorded.

``python -m tests.helpers.example_variant SCRIPT`` runs ``SCRIPT`` as ``__main__`` with one
change, made where a job script would make it: the script's ``GloMPOManager.new_manager(...)``
call gets a :class:`CheckpointingControl` (the script's own, or one writing
``<working_dir>/checkpoints/chk_NNN``) and ``visualisation_args={"record_movie": True, ...}``;
and when that control's folder already holds a checkpoint, the call resumes from it instead
(``load_manager(folder, task=task)``). Run it, interrupt it, run it again: one optimization.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager

_new_manager = GloMPOManager.new_manager.__func__  # type: ignore[attr-defined]


def _resumable(
    cls: type[GloMPOManager],
    task: Any,
    bounds: Any,
    opt_selector: Any,
    working_dir: str | Path = ".",
    **kwargs: Any,
) -> GloMPOManager:
    control = kwargs.get("checkpoint_control") or CheckpointingControl(
        checkpointing_dir=Path(working_dir) / "checkpoints", naming_format="chk_%(count)"
    )
    if control.existing_checkpoints():
        print(f"Resuming from {control.checkpointing_dir}", flush=True)
        return cls.load_manager(control.checkpointing_dir, task=task)
    scope = {**(kwargs.get("visualisation_args") or {}), "record_movie": True}
    kwargs.update(checkpoint_control=control, visualisation=True, visualisation_args=scope)
    return _new_manager(cls, task, bounds, opt_selector, working_dir, **kwargs)


def main(script: str) -> None:
    """Run ``script`` with its manager made resumable (see the module's docstring)."""
    GloMPOManager.new_manager = classmethod(_resumable)  # type: ignore[method-assign,assignment]
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1])
