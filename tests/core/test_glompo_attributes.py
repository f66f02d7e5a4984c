"""What a GloMPO script reads of its manager: result, counters, working_dir, the summary file."""

from __future__ import annotations

import math

import pytest
import yaml

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.errors import InvalidSettingError


def test_the_attributes_follow_the_run(make_manager, tmp_path):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    assert manager.is_initialised
    assert (manager.f_counter, manager.o_counter) == (0, 0)
    assert manager.working_dir == tmp_path / "run"
    assert manager.result.x is None and manager.result.fx == math.inf
    result = manager.start_manager()
    assert manager.result is result
    assert manager.f_counter == 600 == result.stats["f_counter"]
    assert manager.o_counter == result.stats["optimizers_started"] >= 2


def test_a_loaded_manager_tells_the_incumbent_of_its_checkpoint(make_manager):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    )
    assert resumed.f_counter == 300
    incumbent = resumed.result
    assert incumbent.stats["f_counter"] == 300 and incumbent.fx >= manager.result.fx
    assert incumbent.origin["call_id"] <= 300


def test_an_empty_manager_has_no_attributes_to_tell():
    manager = GloMPOManager()
    assert not manager.is_initialised
    with pytest.raises(InvalidSettingError, match="not set up"):
        _ = manager.f_counter


def test_write_summary_file_writes_the_yaml_summary_now(make_manager, tmp_path):
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    resumed = GloMPOManager.load_manager(
        manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"
    )
    path = resumed.write_summary_file(tmp_path / "dump")
    assert path == tmp_path / "dump" / "glompo_manager_log.yml"
    summary = yaml.safe_load(path.read_text())
    assert summary["stats"]["f_counter"] == 300
    assert summary["result"]["fx"] == resumed.result.fx
    assert summary["settings"]["status_frequency"] == 600
    assert not (resumed.working_dir / "glompo_manager_log.yml").exists()
    assert resumed.write_summary_file() == resumed.working_dir / "glompo_manager_log.yml"
