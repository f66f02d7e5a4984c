"""``naming_format`` as the seed states it: ``%(count)`` after the largest existing match, files
and folders alike; every ``%(key)`` is one of the documented keys, any other is refused."""

from __future__ import annotations

import pytest

from glompo_scope_chkpt import CheckpointingControl
from glompo_scope_chkpt.errors import InvalidSettingError


def test_count_starts_after_the_largest_match_among_files_and_folders(tmp_path):
    (tmp_path / "run_003.tar.gz").write_bytes(b"")
    (tmp_path / "run_007").mkdir()  # a checkpoint kept as a folder, as GloMPO's were
    (tmp_path / "run_009").write_bytes(b"")  # a file named by the format itself
    (tmp_path / "run_050.tmp").mkdir()  # not named by the format
    control = CheckpointingControl(naming_format="run_%(count)", checkpointing_dir=tmp_path)
    assert control.count == 10
    assert control.get_name() == "run_010"
    (tmp_path / "run_020").mkdir()
    assert control.get_name() == "run_021"


@pytest.mark.parametrize("fmt", ["c_%(foo-bar)", "c_%()", "c_%(Date)", "c_%(count)_%(time zone)"])
def test_an_unknown_key_is_refused_at_construction(tmp_path, fmt):
    with pytest.raises(InvalidSettingError, match=r"unknown key '%\(.*\)'.*known keys.*%\(count\)"):
        CheckpointingControl(naming_format=fmt, checkpointing_dir=tmp_path / "chk")
    assert not (tmp_path / "chk").exists()


@pytest.mark.parametrize(("fmt", "name"), [("c%(_x", "c%(_x"), ("c_%count)", "c_%count)")])
def test_text_that_is_no_key_is_literal(tmp_path, fmt, name):
    control = CheckpointingControl(naming_format=fmt, checkpointing_dir=tmp_path)
    assert control.get_name() == name
    assert control.matches_naming_format(name)


def test_a_format_ending_in_the_archive_suffix_names_one_archive(make_manager):
    manager = make_manager(control={"naming_format": "done_%(count).tar.gz"})
    path = manager.checkpoint()
    assert path.name == "done_000.tar.gz"
    assert manager.settings.checkpoint_control.matches_naming_format("done_000")
