"""Checkpoint archives: integrity, safe extraction, clear errors, nothing changed on failure."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_checkpoint, write_checkpoint
from glompo_scope_chkpt.errors import CheckpointLoadError, UnsafeArchiveError


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _tar_with(path: Path, members: dict[str, bytes], meta: dict | None = None) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if meta is not None:
            data = json.dumps(meta).encode()
            info = tarfile.TarInfo("meta.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_round_trip_keeps_payload_and_task(tmp_path):
    path = tmp_path / "c.tar.gz"
    mode = write_checkpoint(path, b"payload", {"name": "c"}, task=[1, 2, 3])
    assert mode == "pickled"
    contents = read_checkpoint(path, tmp_path / "x")
    assert contents.payload == b"payload"
    assert contents.meta["name"] == "c"
    assert contents.meta["files"]["manager.pkl"] == hashlib.sha256(b"payload").hexdigest()
    assert [n for n in tmp_path.iterdir() if ".tmp-" in n.name] == []


@pytest.fixture
def real_checkpoint(make_manager) -> Path:
    manager = make_manager(control={"checkpoint_iter_frequency": 200})
    manager.start_manager()
    return manager.settings.checkpoint_control.checkpointing_dir / "chk_001.tar.gz"


def test_truncated_checkpoint_names_the_file_and_changes_nothing(real_checkpoint, tmp_path):
    data = real_checkpoint.read_bytes()
    real_checkpoint.write_bytes(data[: len(data) // 2])
    before = _snapshot(tmp_path)
    with pytest.raises(CheckpointLoadError, match=rf"{real_checkpoint}.*damaged.*earlier"):
        GloMPOManager.load_manager(real_checkpoint)
    assert _snapshot(tmp_path) == before


def test_altered_checkpoint_is_detected(real_checkpoint, tmp_path):
    with tarfile.open(real_checkpoint, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    meta = json.loads(members.pop("meta.json"))
    members["manager.pkl"] = members["manager.pkl"][:-1] + b"\x00"
    _tar_with(real_checkpoint, members, meta)
    with pytest.raises(CheckpointLoadError, match=r"checksum of manager\.pkl does not match"):
        GloMPOManager.load_manager(real_checkpoint)


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/evil.txt", "task/../../evil.txt"])
def test_members_outside_the_folder_are_refused(tmp_path, evil):
    archive = tmp_path / "evil.tar.gz"
    _tar_with(archive, {"manager.pkl": b"x", evil: b"boom"}, {"format": "x"})
    with pytest.raises(UnsafeArchiveError, match=r"evil.tar.gz.*points outside"):
        read_checkpoint(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out").exists()


def test_link_members_are_refused(tmp_path):
    archive = tmp_path / "link.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("task/passwd")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="link or special file"):
        read_checkpoint(archive, tmp_path / "out")


def test_unknown_version_says_which_version_reads_it(tmp_path):
    archive = tmp_path / "v9.tar.gz"
    _tar_with(
        archive, {"manager.pkl": b"x"}, {"format": "glompo_scope_chkpt/checkpoint", "version": 9}
    )
    with pytest.raises(CheckpointLoadError, match="format version 9"):
        read_checkpoint(archive, tmp_path / "out")


def test_not_a_checkpoint(tmp_path):
    archive = tmp_path / "junk.tar.gz"
    archive.write_bytes(b"this is not gzip")
    with pytest.raises(CheckpointLoadError, match=r"junk.tar.gz is damaged"):
        GloMPOManager.load_manager(archive)
    assert archive.read_bytes() == b"this is not gzip"


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointLoadError, match="does not exist"):
        GloMPOManager.load_manager(tmp_path / "nope.tar.gz")


def test_state_pickling_falls_back_to_dill_for_what_pickle_refuses():
    import dill

    from glompo_scope_chkpt.checkpoint.writer import dumps_state

    restored = dill.loads(dumps_state({"scale": lambda x: 3 * x, "n": 2}))
    assert restored["scale"](2) == 6 and restored["n"] == 2
