"""Loading checks what it unpickles, and a manager is usable only once set up or loaded."""

from __future__ import annotations

import io
import json
import pickle
import tarfile
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager, __version__
from glompo_scope_chkpt.checkpoint.archive import write_checkpoint
from glompo_scope_chkpt.core.state import STATE_VERSION
from glompo_scope_chkpt.errors import CheckpointLoadError, InvalidSettingError


def _rewrite_meta(archive: Path, drop: tuple[str, ...] = (), **changes: object) -> None:
    """Rewrite ``archive`` with its ``meta.json`` changed (its members' hashes stay valid)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    meta = json.loads(members["meta.json"])
    meta.update(changes)
    for key in drop:
        del meta[key]
    members["meta.json"] = json.dumps(meta).encode()
    _tar(archive, members)


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def checkpoint(make_manager) -> Path:
    manager = make_manager(control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    return manager.settings.checkpoint_control.checkpointing_dir / "chk_000.tar.gz"


def test_a_checkpoint_of_another_state_version_is_refused_naming_both(checkpoint):
    _rewrite_meta(checkpoint, state_version=STATE_VERSION - 1, package_version="0.1.0")
    before = checkpoint.read_bytes()
    with pytest.raises(CheckpointLoadError) as err:
        GloMPOManager.load_manager(checkpoint)
    message = str(err.value)
    assert str(checkpoint) in message and "0.1.0" in message and __version__ in message
    assert f"state version {STATE_VERSION - 1}" in message
    assert f"state version {STATE_VERSION})" in message
    assert checkpoint.read_bytes() == before


def test_a_checkpoint_without_a_state_version_counts_as_the_first(checkpoint):
    _rewrite_meta(checkpoint, drop=("state_version",))
    with pytest.raises(CheckpointLoadError, match="state version 1\\)"):
        GloMPOManager.load_manager(checkpoint)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        {"settings": None, "state": None, "elapsed": 0.0},
        {"settings": "x", "state": "y", "elapsed": float("nan")},
    ],
)
def test_a_payload_that_is_not_a_run_is_refused(tmp_path, payload):
    archive = tmp_path / "bad.tar.gz"
    meta = {"name": "bad", "key": "k", "f_counter": 0, "state_version": STATE_VERSION}
    write_checkpoint(archive, pickle.dumps(payload), meta, task=None)
    with pytest.raises(CheckpointLoadError, match="does not hold a run of glompo_scope_chkpt"):
        GloMPOManager.load_manager(archive)


def test_a_glompo_checkpoint_is_recognised_and_refused_as_such(tmp_path):
    archive = _tar(
        tmp_path / "glompo_chk.tar.gz",
        {"manager": b"\x80\x04N.", "task": b"\x80\x04N.", "optimizers/0001": b"\x80\x04N."},
    )
    before = archive.read_bytes()
    with pytest.raises(CheckpointLoadError, match="checkpoint of GloMPO") as err:
        GloMPOManager.load_manager(archive)
    assert "damaged" not in str(err.value)
    assert archive.read_bytes() == before


def test_an_archive_without_metadata_is_still_reported_damaged(tmp_path):
    archive = _tar(tmp_path / "x.tar.gz", {"manager.pkl": b"x"})
    with pytest.raises(CheckpointLoadError, match="damaged"):
        GloMPOManager.load_manager(archive)


def test_a_manager_that_is_not_set_up_says_so():
    manager = GloMPOManager()
    assert not manager.is_initialised
    for use in (lambda: manager.settings, lambda: manager.state, manager.start_manager):
        with pytest.raises(InvalidSettingError, match="not set up"):
            use()


def test_settings_and_state_are_there_once_set_up(make_manager):
    manager = make_manager()
    assert manager.is_initialised
    assert manager.settings.max_jobs == 3 and manager.state.f_counter == 0
