"""A checkpoint failure never kills a run that asked to carry on.

Each step of a checkpoint is made to fail with real files: a folder that takes no new file (mode
0o555, or ``chattr +i`` when the tests run as root, whom modes do not stop), a checkpoint that
cannot be deleted, a closed log. With ``raise_checkpoint_fail=True`` the run raises one
``CheckpointError``; otherwise it warns and finishes. Either way the previous checkpoint loads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.writer import take_checkpoint
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.errors import CheckpointError
from glompo_scope_chkpt.log.writer import OptimizationLog
from glompo_scope_chkpt.movie.manifest import Manifest

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}
AS_ROOT = os.geteuid() == 0


def freeze(path: Path) -> None:
    """Make ``path`` refuse changes: a folder takes no new, renamed or deleted entry."""
    if AS_ROOT:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    else:
        path.chmod(0o555)


def thaw(path: Path) -> None:
    """Undo :func:`freeze`."""
    if AS_ROOT:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
    else:
        path.chmod(0o755)


@pytest.fixture
def frozen(tmp_path: Path):
    """Paths the test freezes through :class:`FreezingTask` are thawed whatever happens."""
    if AS_ROOT:
        probe = tmp_path / "probe"
        probe.mkdir()
        if (
            shutil.which("chattr") is None
            or subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode
        ):
            pytest.skip("running as root on a file system without chattr +i")
        thaw(probe)
        probe.rmdir()
    paths: list[Path] = []
    yield paths
    thaw_all(paths)


def thaw_all(paths: list[Path]) -> None:
    """Thaw every frozen path that still exists (a run that raised never reached its thaw)."""
    for path in paths:
        if path.exists():
            thaw(path)


class FreezingTask:
    """The sphere; freezes ``path`` at its call ``start`` and thaws it at its call ``stop``.

    With ``ready``, the freeze waits until that file exists (ffmpeg creates a segment's file
    only once it has a frame).
    """

    def __init__(self, path: Path, start: int, stop: int, ready: Path | None = None) -> None:
        self.path, self.start, self.stop, self.ready = path, start, stop, ready
        self.calls = 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls == self.start:
            deadline = time.monotonic() + 30
            while self.ready is not None and not self.ready.exists():
                assert time.monotonic() < deadline, f"{self.ready} never appeared"
                time.sleep(0.01)
            freeze(self.path)
        elif self.calls == self.stop:
            thaw(self.path)
        return float(np.sum(np.asarray(x) ** 2))


def _sphere(x: np.ndarray) -> float:
    return float(np.sum(np.asarray(x) ** 2))


def _run(manager: GloMPOManager, raise_fail: bool, match: str) -> object:
    """Start the run: one CheckpointError if asked to raise, else a warning and the result."""
    if raise_fail:
        with pytest.raises(CheckpointError, match=match):
            manager.start_manager()
        return None
    with pytest.warns(UserWarning, match="Checkpoint failed, the optimization continues") as rec:
        result = manager.start_manager()
    assert any(match in str(w.message) for w in rec), [str(w.message) for w in rec]
    return result


def _freezing_run(
    make_manager: Callable[..., GloMPOManager],
    frozen: list[Path],
    raise_fail: bool,
    where: str,
    match: str,
    **kwargs,
) -> tuple[GloMPOManager, Path, object]:
    """Run 700 evaluations, checkpointing every 200, with ``where`` (in the checkpointing dir)
    frozen from call 250 to call 450 (or ``stop``); thaw everything and return the outcome."""
    stop, ready = kwargs.pop("stop", 450), kwargs.pop("ready", None)
    control = {"checkpoint_iter_frequency": 200, "raise_checkpoint_fail": raise_fail}
    control.update(kwargs.pop("control", {}))
    kwargs.setdefault("convergence_checker", MaxFuncCalls(700))
    manager = make_manager(control=control, **kwargs)
    chk = manager.settings.checkpoint_control.checkpointing_dir
    manager.task = FreezingTask(chk / where, 250, stop, ready=ready and chk / ready)
    frozen.append(chk / where)
    result = _run(manager, raise_fail, match)
    thaw_all(frozen)
    return manager, chk, result


def _assert_loads(path: Path, f_counter: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a log rollback warns
        manager = GloMPOManager.load_manager(path, task=_sphere)
    assert manager.state.f_counter == f_counter


@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
def test_archive_step_fails_in_a_folder_that_takes_no_file(make_manager, frozen, raise_fail):
    manager, chk, result = _freezing_run(
        make_manager, frozen, raise_fail, "", "could not be written", summary_files=3
    )
    _assert_loads(chk / "chk_000.tar.gz", 200)
    if raise_fail:
        assert manager.state.f_counter == 400
        assert sorted(p.name for p in chk.glob("*.tar.gz")) == ["chk_000.tar.gz"]
        return
    assert result.stats["f_counter"] == 700
    names = sorted(p.name for p in chk.glob("*.tar.gz"))
    assert names == ["chk_000.tar.gz", "chk_002.tar.gz"]
    assert [c.f_counter for c in manager.state.checkpoints] == [200, 600]
    _assert_loads(chk / "chk_002.tar.gz", 600)


@pytest.mark.slow
@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
def test_movie_step_fails_in_a_segments_folder_that_takes_no_file(make_manager, frozen, raise_fail):
    manager, chk, result = _freezing_run(
        make_manager,
        frozen,
        raise_fail,
        "segments",
        "movie segment",
        ready="segments/glomporecording.0002.recording.ts",
        visualisation=True,
        visualisation_args=VIS,
    )
    _assert_loads(chk / "chk_000.tar.gz", 200)
    manifest = Manifest.load(chk)
    for record in manifest.segments:  # every segment listed is on disk, complete or recording
        assert manifest.absolute(record).is_file(), record
    kept = manifest.get(2)  # closed by the failed checkpoint: kept under its recording name
    assert kept.path.endswith(".recording.ts")
    # a session ended by a recording failure is not stitched; one that recorded again is
    movie = manager.settings.working_dir / "glomporecording.mp4"
    assert movie.is_file() != raise_fail
    if raise_fail:  # on disk as after a kill: the tail of a run that ended on the error
        assert [(r.index, r.status) for r in manifest.segments] == [
            (1, "complete"),
            (2, "recording"),
        ]
        return
    assert (kept.status, kept.checkpoint, kept.f_counter_end) == ("complete", None, 400)
    assert kept.video is not None and kept.video.frames > 0
    assert result.stats["f_counter"] == 700
    assert [r.index for r in manifest.timeline()] == [1, 2, 3]
    assert [c.f_counter for c in manager.state.checkpoints] == [200, 600]
    _assert_loads(chk / "chk_002.tar.gz", 600)


@pytest.mark.slow
@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
def test_manifest_step_fails_in_a_checkpointing_folder_that_takes_no_file(
    make_manager, frozen, raise_fail
):
    manager, chk, result = _freezing_run(
        make_manager, frozen, raise_fail, "", "movie", visualisation=True, visualisation_args=VIS
    )
    _assert_loads(chk / "chk_000.tar.gz", 200)
    manifest = Manifest.load(chk)
    for record in manifest.timeline():
        assert manifest.absolute(record).is_file(), record
    assert (manager.settings.working_dir / "glomporecording.mp4").is_file() != raise_fail
    if not raise_fail:
        assert result.stats["f_counter"] == 700
        _assert_loads(chk / "chk_002.tar.gz", 600)


@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
def test_keep_past_fails_on_a_checkpoint_that_cannot_be_deleted(make_manager, frozen, raise_fail):
    if not AS_ROOT:
        pytest.skip("only chattr +i (as root) makes one file undeletable in a writable folder")
    manager, chk, result = _freezing_run(
        make_manager,
        frozen,
        raise_fail,
        "chk_000.tar.gz",
        "keep_past",
        stop=10**9,
        convergence_checker=MaxFuncCalls(500),
        control={"keep_past": 0},
    )
    assert sorted(p.name for p in chk.glob("*.tar.gz")) == ["chk_000.tar.gz", "chk_001.tar.gz"]
    _assert_loads(chk / "chk_000.tar.gz", 200)
    _assert_loads(chk / "chk_001.tar.gz", 400)  # the new checkpoint was written all the same
    if not raise_fail:
        assert result.stats["f_counter"] == 500
        assert [c.f_counter for c in manager.state.checkpoints] == [200, 400]


def test_log_flush_fails_on_a_closed_log(make_manager):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 200})
    manager.start_manager()
    chk = manager.settings.checkpoint_control.checkpointing_dir
    before = sorted(p.name for p in chk.glob("*.tar.gz"))
    records = list(manager.state.checkpoints)
    log = OptimizationLog.resume(
        manager.settings.working_dir / "glompo_log.h5",
        manager.state.key,
        len(manager.settings.bounds),
        manager.state.f_counter,
        "test",
    )
    log.close()
    with pytest.raises(CheckpointError, match="flushing the log"):
        take_checkpoint(
            manager.settings,
            manager.state,
            manager.task,
            elapsed=1.0,
            session=1,
            pending=[],
            log=log,
        )
    assert sorted(p.name for p in chk.glob("*.tar.gz")) == before
    assert manager.state.checkpoints == records
    _assert_loads(chk / before[-1], records[-1].f_counter)


@pytest.mark.parametrize("raise_fail", [True, False], ids=["raise", "carry-on"])
def test_a_fixed_name_is_replaced_atomically_with_a_warning(make_manager, raise_fail):
    manager = make_manager(
        convergence_checker=MaxFuncCalls(700),
        control={
            "checkpoint_iter_frequency": 200,
            "raise_checkpoint_fail": raise_fail,
            "naming_format": "latest",
        },
    )
    chk = manager.settings.checkpoint_control.checkpointing_dir
    with pytest.warns(UserWarning, match="replaces the earlier checkpoint") as rec:
        result = manager.start_manager()
    assert not [w for w in rec if "Checkpoint failed" in str(w.message)]
    assert result.stats["f_counter"] == 700
    assert sorted(p.name for p in chk.glob("*.tar.gz")) == ["latest.tar.gz"]
    _assert_loads(chk / "latest.tar.gz", 600)


def test_a_fixed_name_that_cannot_be_replaced_keeps_the_earlier_checkpoint(make_manager, frozen):
    _, chk, result = _freezing_run(
        make_manager,
        frozen,
        False,
        "",
        "could not be written",
        stop=10**9,
        convergence_checker=MaxFuncCalls(500),
        control={"naming_format": "latest"},
    )
    assert result.stats["f_counter"] == 500
    assert sorted(p.name for p in chk.glob("*.tar.gz")) == ["latest.tar.gz"]
    _assert_loads(chk / "latest.tar.gz", 200)
