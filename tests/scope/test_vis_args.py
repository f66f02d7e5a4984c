"""Validation and merging of the scope's ``visualisation_args``."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.scope.vis_args import (
    DEFAULT_VISUALISATION_ARGS,
    merge_visualisation_args,
    validate_visualisation_args,
)


def test_defaults_are_complete_and_copied() -> None:
    args = validate_visualisation_args(None)
    assert args == validate_visualisation_args({})
    assert args["events_per_flush"] == 10
    assert args["writer_kwargs"] == {
        "fps": 10,
        "codec": "libx264",
        "bitrate": None,
        "extra_args": None,
    }
    assert args["movie_kwargs"] == {
        "outfile": "glomporecording.mp4",
        "dpi": 100,
        "figsize": (12.0, 8.0),
    }
    args["movie_kwargs"]["dpi"] = 7
    assert DEFAULT_VISUALISATION_ARGS["movie_kwargs"]["dpi"] == 100


def test_unknown_key_is_named_and_known_keys_listed() -> None:
    with pytest.raises(InvalidSettingError) as info:
        validate_visualisation_args({"x_rnage": 300})
    message = str(info.value)
    assert "'x_rnage'" in message
    for known in DEFAULT_VISUALISATION_ARGS:
        assert known in message


def test_unknown_nested_key_is_named_and_known_keys_listed() -> None:
    with pytest.raises(InvalidSettingError) as info:
        validate_visualisation_args({"writer_kwargs": {"fsp": 10}})
    message = str(info.value)
    assert "'fsp'" in message and "writer_kwargs" in message
    for known in ("fps", "codec", "bitrate", "extra_args"):
        assert known in message


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ({"x_range": (5, 1)}, "x_range"),
        ({"x_range": (1, 1)}, "x_range"),
        ({"x_range": 0}, "x_range"),
        ({"x_range": -3}, "x_range"),
        ({"x_range": True}, "x_range"),
        ({"x_range": "300"}, "x_range"),
        ({"x_range": (1,)}, "x_range"),
        ({"x_range": (0, float("inf"))}, "x_range"),
        ({"y_range": (2, 1)}, "y_range"),
        ({"y_range": 5}, "y_range"),
        ({"log_scale": "yes"}, "log_scale"),
        ({"record_movie": 1}, "record_movie"),
        ({"interactive_mode": None}, "interactive_mode"),
        ({"elitism": "no"}, "elitism"),
        ({"events_per_flush": 0}, "events_per_flush"),
        ({"events_per_flush": 1.5}, "events_per_flush"),
        ({"events_per_flush": True}, "events_per_flush"),
        ({"writer_kwargs": 10}, "writer_kwargs"),
        ({"writer_kwargs": {"fps": 0}}, "fps"),
        ({"writer_kwargs": {"fps": -5}}, "fps"),
        ({"writer_kwargs": {"fps": "10"}}, "fps"),
        ({"writer_kwargs": {"codec": ""}}, "codec"),
        ({"writer_kwargs": {"bitrate": 0}}, "bitrate"),
        ({"writer_kwargs": {"extra_args": "-crf 20"}}, "extra_args"),
        ({"writer_kwargs": {"extra_args": ["-crf", 20]}}, "extra_args"),
        ({"movie_kwargs": {"dpi": 0}}, "dpi"),
        ({"movie_kwargs": {"dpi": "100"}}, "dpi"),
        ({"movie_kwargs": {"outfile": "movie.txt"}}, "outfile"),
        ({"movie_kwargs": {"outfile": 3}}, "outfile"),
        ({"movie_kwargs": {"figsize": (0, 8)}}, "figsize"),
        ({"movie_kwargs": {"figsize": (0.1, 0.1)}}, "figsize"),
    ],
)
def test_bad_values_are_rejected_naming_the_key(args: dict, key: str) -> None:
    with pytest.raises(InvalidSettingError, match=key):
        validate_visualisation_args(args)


def test_not_a_mapping() -> None:
    with pytest.raises(InvalidSettingError, match="dict"):
        validate_visualisation_args([("x_range", 3)])  # type: ignore[arg-type]


def test_values_are_normalised() -> None:
    args = validate_visualisation_args(
        {
            "x_range": [0, 100],
            "y_range": (1, 2),
            "writer_kwargs": {"bitrate": -1, "extra_args": ("-g", "10")},
            "movie_kwargs": {"outfile": Path("run/Movie.MKV"), "figsize": [6, 4]},
        }
    )
    assert args["x_range"] == (0.0, 100.0)
    assert args["y_range"] == (1.0, 2.0)
    assert args["writer_kwargs"]["bitrate"] is None
    assert args["writer_kwargs"]["extra_args"] == ["-g", "10"]
    assert args["movie_kwargs"]["outfile"] == str(Path("run/Movie.MKV"))
    assert args["movie_kwargs"]["figsize"] == (6.0, 4.0)
    assert validate_visualisation_args({"x_range": 300})["x_range"] == 300


def test_validation_is_idempotent() -> None:
    args = validate_visualisation_args({"x_range": 300, "log_scale": True})
    assert validate_visualisation_args(args) == args


def test_merge_changes_only_the_overridden_nested_key() -> None:
    saved = validate_visualisation_args(
        {"x_range": 300, "record_movie": True, "movie_kwargs": {"outfile": "run.mp4"}}
    )
    before = copy.deepcopy(saved)
    merged = merge_visualisation_args(saved, {"movie_kwargs": {"dpi": 150}})
    assert merged["movie_kwargs"] == {"outfile": "run.mp4", "dpi": 150, "figsize": (12.0, 8.0)}
    assert merged["x_range"] == 300 and merged["record_movie"] is True
    assert merged["writer_kwargs"] == saved["writer_kwargs"]
    assert saved == before


def test_merge_top_level_and_none() -> None:
    saved = validate_visualisation_args({"x_range": 300})
    assert merge_visualisation_args(saved, None) == saved
    assert merge_visualisation_args(saved, {"x_range": None})["x_range"] is None
    merged = merge_visualisation_args({"events_per_flush": 3}, {"elitism": True})
    assert merged["events_per_flush"] == 3 and merged["elitism"] is True
    assert merged["movie_kwargs"]["outfile"] == "glomporecording.mp4"


@pytest.mark.parametrize(
    "overrides",
    [{"dpi": 150}, {"movie_kwargs": {"dpi": -1}}, {"writer_kwargs": {"fsp": 3}}, [1]],
)
def test_merge_rejects_bad_overrides(overrides: object) -> None:
    with pytest.raises(InvalidSettingError):
        merge_visualisation_args(validate_visualisation_args(None), overrides)  # type: ignore[arg-type]
