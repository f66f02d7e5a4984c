"""Each session's record tells where it ended on the timeline, also after a resume."""

from __future__ import annotations

import yaml

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls


def test_the_session_that_wrote_the_checkpoint_ends_there_in_the_summary(make_manager):
    manager = make_manager(summary_files=1, control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", convergence_checker=MaxFuncCalls(700)
    )
    resumed.start_manager()
    summary = yaml.safe_load((manager.settings.working_dir / "glompo_manager_log.yml").read_text())
    first, second = summary["sessions"]
    assert first["f_counter_end"] == 300 == second["f_counter_start"]
    assert first["ended"] is not None and first["ended"] <= second["started"]
    assert "chk_000" in first["end_reason"] and "session 2" in first["end_reason"]
    assert second["f_counter_end"] == 700 and second["resumed_from"] == "chk_000"
