"""CheckpointingControl: the documented settings, names and their validation."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from glompo_scope_chkpt import CheckpointingControl
from glompo_scope_chkpt.errors import InvalidSettingError


def test_defaults_match_the_documented_signature(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    control = CheckpointingControl()
    assert control.checkpoint_time_frequency == math.inf
    assert control.checkpoint_iter_frequency == math.inf
    assert control.checkpoint_at_init is False
    assert control.checkpoint_at_conv is False
    assert control.raise_checkpoint_fail is False
    assert control.force_task_save is False
    assert control.keep_past == -1
    assert control.naming_format == "glompo_checkpoint_%(date)_%(time)"
    assert control.checkpointing_dir == tmp_path / "checkpoints"
    assert control.count == 0


def test_checkpointing_dir_is_absolute_against_the_cwd_at_creation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    control = CheckpointingControl(checkpointing_dir="sub/chk")
    monkeypatch.chdir("/")
    assert control.checkpointing_dir == tmp_path / "sub" / "chk"
    assert control.checkpointing_dir.is_absolute()


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("date", r"\d{8}"),
        ("year", r"\d{4}"),
        ("yr", r"\d{2}"),
        ("month", r"\d{2}"),
        ("day", r"\d{2}"),
        ("time", r"\d{6}"),
        ("hour", r"\d{2}"),
        ("min", r"\d{2}"),
        ("sec", r"\d{2}"),
        ("count", r"\d{3}"),
    ],
)
def test_each_naming_key_renders_and_matches(tmp_path, key, pattern):
    control = CheckpointingControl(naming_format=f"c_%({key})", checkpointing_dir=tmp_path)
    name = control.get_name()
    assert re.fullmatch(rf"c_{pattern}", name), name
    assert control.matches_naming_format(name)
    assert not control.matches_naming_format(name + "x")


def test_date_and_time_keys_render_the_current_time(tmp_path):
    control = CheckpointingControl(
        naming_format="%(year)-%(month)-%(day)_%(hour)%(min)", checkpointing_dir=tmp_path
    )
    assert control.get_name() == time.strftime("%Y-%m-%d_%H%M")


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("run.%(count)", "run.004", "runX004"),
        ("run(%(count))", "run(004)", "run004"),
        ("a+b_%(count)", "a+b_004", "aab_004"),
        ("x[%(date)]*", "x[20260101]*", "x[20260101]"),
    ],
)
def test_literal_characters_are_matched_literally(tmp_path, fmt, good, bad):
    control = CheckpointingControl(naming_format=fmt, checkpointing_dir=tmp_path)
    assert control.matches_naming_format(good)
    assert not control.matches_naming_format(bad)


def test_count_continues_after_the_largest_existing_match(tmp_path):
    for name in ("run_002.tar.gz", "run_011.tar.gz", "other_050.tar.gz", "run_x.tar.gz"):
        (tmp_path / name).write_bytes(b"")
    control = CheckpointingControl(naming_format="run_%(count)", checkpointing_dir=tmp_path)
    assert control.count == 12
    assert control.get_name() == "run_012"
    assert control.get_name() == "run_013"


def test_count_skips_names_taken_since_creation(tmp_path):
    control = CheckpointingControl(naming_format="run_%(count)", checkpointing_dir=tmp_path)
    (tmp_path / "run_000.tar.gz").write_bytes(b"")
    assert control.get_name() == "run_001"


def test_a_time_based_name_that_is_taken_gets_a_repeat_suffix_at_once(tmp_path):
    control = CheckpointingControl(naming_format="c_%(year)", checkpointing_dir=tmp_path)
    start, names = time.monotonic(), []
    for _ in range(3):
        names.append(control.get_name())
        (tmp_path / f"{names[-1]}.tar.gz").write_bytes(b"")
    base = time.strftime("c_%Y")
    assert names == [base, f"{base}_2", f"{base}_3"]
    assert time.monotonic() - start < 0.5
    assert all(control.matches_naming_format(name) for name in names)
    assert not control.matches_naming_format(f"{base}_")
    assert len(control.existing_checkpoints()) == 3


def test_a_static_name_that_is_taken_is_given_again_to_be_replaced(tmp_path):
    (tmp_path / "fixed.tar.gz").write_bytes(b"keep")
    control = CheckpointingControl(naming_format="fixed", checkpointing_dir=tmp_path)
    assert control.get_name() == "fixed"
    assert (tmp_path / "fixed.tar.gz").read_bytes() == b"keep"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"naming_format": ""}, "non-empty"),
        ({"naming_format": "a/b_%(count)"}, "path separators"),
        ({"naming_format": "a\\b"}, "path separators"),
        ({"naming_format": "c_%(weekday)"}, r"unknown key '%\(weekday\)'.*%\(count\)"),
        ({"checkpoint_iter_frequency": -5}, "checkpoint_iter_frequency must be > 0"),
        ({"checkpoint_time_frequency": 0}, "checkpoint_time_frequency must be > 0"),
        ({"checkpoint_time_frequency": "often"}, "number of seconds"),
        ({"checkpoint_iter_frequency": float("nan")}, "must be > 0"),
        ({"keep_past": -2}, "keep_past must be an integer >= -1"),
        ({"keep_past": 1.5}, "keep_past must be an integer"),
    ],
)
def test_invalid_settings_are_refused_at_creation(tmp_path, kwargs, message):
    with pytest.raises(InvalidSettingError, match=message):
        CheckpointingControl(checkpointing_dir=tmp_path / "chk", **kwargs)
    assert not (tmp_path / "chk").exists()


def test_existing_checkpoints_lists_only_matching_archives(tmp_path):
    control = CheckpointingControl(naming_format="c_%(count)", checkpointing_dir=tmp_path)
    for name in ("c_000.tar.gz", "c_001.tar.gz", "c_001.tar.gz.tmp-abc", "notes.tar.gz", "c_002"):
        Path(tmp_path / name).write_bytes(b"")
    assert [p.name for p in control.existing_checkpoints()] == ["c_000.tar.gz", "c_001.tar.gz"]
