"""Hostile and damaged checkpoints: one clear error each, bounded memory, and a folder falls back.

Every damage here is applied to the newest checkpoint of a finished run. Reading that file alone
must raise one ``CheckpointLoadError`` naming it; loading the folder must warn and resume from the
next newest checkpoint; nothing on disk may change.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import dill
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.checkpoint.archive import read_checkpoint
from glompo_scope_chkpt.checkpoint.locate import checkpoint_candidates
from glompo_scope_chkpt.errors import CheckpointLoadError, InvalidSettingError
from tests.helpers.hostile import (
    copy_of,
    finished_run,
    folder_digest,
    read_members,
    resign,
    write_members,
)
from tests.helpers.paths import REPO_ROOT

NEWEST, PREVIOUS = "chk_002.tar.gz", 200


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A finished run with checkpoints chk_000..chk_002 at 100..300 evaluations, 400 in all."""
    run = tmp_path_factory.mktemp("pristine") / "run"
    folder = finished_run(run)
    assert checkpoint_candidates(folder)[0].name == NEWEST
    return run


@pytest.fixture
def run(pristine, tmp_path) -> Path:
    return copy_of(pristine, tmp_path)


def _with_raw_field(meta: bytes, field: str, raw: str) -> bytes:
    """``meta`` with ``field`` set to the JSON text ``raw`` (a repeated key: the last wins)."""
    return meta.rstrip()[:-1] + f', "{field}": {raw}}}'.encode()


def _assert_falls_back(run: Path) -> None:
    archive, before = run / "checkpoints" / NEWEST, folder_digest(run)
    with pytest.raises(CheckpointLoadError, match=str(archive)):
        GloMPOManager.load_manager(archive)
    with pytest.warns(UserWarning, match=rf"{NEWEST}.*Trying the next newest"):
        manager = GloMPOManager.load_manager(run / "checkpoints")
    assert manager.state.f_counter == PREVIOUS
    assert folder_digest(run) == before


META_DAMAGE = {
    "not an object": lambda meta: b"[1, 2, 3]",
    "string f_counter": lambda meta: _with_raw_field(meta, "f_counter", '"400"'),
    "f_counter past 64 bits": lambda meta: _with_raw_field(meta, "f_counter", str(10**30)),
    "5000-digit number": lambda meta: _with_raw_field(meta, "created", "9" * 5000),
    "infinite time": lambda meta: _with_raw_field(meta, "created", "1e999"),
    "files a list": lambda meta: _with_raw_field(meta, "files", '["manager.pkl"]'),
    "files not digests": lambda meta: _with_raw_field(meta, "files", '{"manager.pkl": 3}'),
    "version true": lambda meta: _with_raw_field(meta, "version", "true"),
    "unknown task mode": lambda meta: _with_raw_field(meta, "task", '"borrowed"'),
    "name a number": lambda meta: _with_raw_field(meta, "name", "5"),
    "deep nesting": lambda meta: _with_raw_field(meta, "movie_segments", "[" * 100_000),
    "not JSON": lambda meta: b"\xff\xfe{",
}


@pytest.mark.parametrize("damage", META_DAMAGE.values(), ids=META_DAMAGE.keys())
def test_metadata_of_the_wrong_shape_is_one_error_and_the_folder_falls_back(run, damage):
    archive = run / "checkpoints" / NEWEST
    members = read_members(archive)
    members["meta.json"] = damage(members["meta.json"])
    write_members(archive, members)
    with pytest.raises(CheckpointLoadError) as err:
        read_checkpoint(archive, run / "out")
    assert type(err.value) is CheckpointLoadError and str(archive) in str(err.value)
    assert checkpoint_candidates(run / "checkpoints")[0].name == NEWEST
    _assert_falls_back(run)


def _payload_with(members: dict[str, bytes], change) -> bytes:
    saved = dill.loads(members["manager.pkl"])
    change(saved)
    return dill.dumps(saved)


PAYLOAD_DAMAGE = {
    "not a pickle": lambda m: resign({**m, "manager.pkl": b"not a pickle"}),
    "wrong types": lambda m: resign(
        {**m, "manager.pkl": pickle.dumps({"settings": 1, "state": "s", "elapsed": 0.0})}
    ),
    "string f_counter in the state": lambda m: resign(
        {**m, "manager.pkl": _payload_with(m, lambda s: setattr(s["state"], "f_counter", "9"))}
    ),
    "metadata of another count": lambda m: resign(m, f_counter=999),
    "task not a pickle": lambda m: resign({**m, "task.pkl": b"\x80\x05garbage"}),
    "no name": lambda m: resign(m, name=None),
    "member outside the folder": lambda m: resign({**m, "../evil.txt": b"boom"}),
    "member repeated": lambda m: [("manager.pkl", b"x"), *m.items()],
}


@pytest.mark.parametrize("damage", PAYLOAD_DAMAGE.values(), ids=PAYLOAD_DAMAGE.keys())
def test_a_newest_checkpoint_damaged_anywhere_falls_back_to_the_next(run, damage):
    archive = run / "checkpoints" / NEWEST
    write_members(archive, damage(read_members(archive)))
    _assert_falls_back(run)
    assert not (run / "evil.txt").exists() and not (run / "checkpoints" / "evil.txt").exists()


def test_when_no_checkpoint_reads_the_error_names_the_newest_failure(run):
    for archive in (run / "checkpoints").glob("*.tar.gz"):
        archive.write_bytes(b"junk")
    with pytest.warns(UserWarning), pytest.raises(CheckpointLoadError, match=r"None of the 3.*"):
        GloMPOManager.load_manager(run / "checkpoints")


BOMB_SCRIPT = """
import resource, sys, time
from pathlib import Path
from glompo_scope_chkpt.checkpoint.archive import read_checkpoint
from glompo_scope_chkpt.errors import CheckpointLoadError
from tests.helpers.hostile import gzip_bomb
bomb = gzip_bomb(Path(sys.argv[1]), 1_280_000_000, longname=sys.argv[2] == "longname")
before, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic()
try:
    read_checkpoint(bomb, Path(sys.argv[1]).parent / "out")
except CheckpointLoadError as exc:
    print("refused:", exc)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print("size", bomb.stat().st_size, "grown_kib", grown, "seconds", time.monotonic() - start)
"""


@pytest.mark.parametrize("kind", ["member", "longname"])
def test_a_gzip_bomb_is_refused_while_streaming_with_little_memory(tmp_path, kind):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BOMB_SCRIPT), str(tmp_path / "b.tar.gz"), kind],
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "inflates to more than" in lines[0], proc.stdout
    _, size, _, grown_kib, _, seconds = lines[-1].split()
    assert int(size) < 1_300_000
    assert int(grown_kib) < 48 * 1024, f"reading the bomb grew the memory by {grown_kib} KiB"
    assert float(seconds) < 5


def test_the_expansion_limit_is_configurable(tmp_path, monkeypatch):
    archive = tmp_path / "squeezed.tar.gz"
    members = resign(
        {"manager.pkl": b"\0" * 20_000_000, "meta.json": json.dumps(
            {"format": "glompo_scope_chkpt/checkpoint", "version": 1, "task": "missing"}
        ).encode()}
    )  # fmt: skip
    write_members(archive, members, level=9)
    with pytest.raises(CheckpointLoadError, match="GLOMPO_CHECKPOINT_MAX_EXPANSION"):
        read_checkpoint(archive, tmp_path / "out")
    monkeypatch.setenv("GLOMPO_CHECKPOINT_MAX_EXPANSION", "5000")
    assert len(read_checkpoint(archive, tmp_path / "out").payload) == 20_000_000
    monkeypatch.setenv("GLOMPO_CHECKPOINT_MAX_EXPANSION", "lots")
    with pytest.raises(InvalidSettingError, match="GLOMPO_CHECKPOINT_MAX_EXPANSION"):
        read_checkpoint(archive, tmp_path / "out")


def test_a_metadata_file_over_one_mib_is_refused_before_it_is_read(run, monkeypatch):
    monkeypatch.setenv("GLOMPO_CHECKPOINT_MAX_EXPANSION", "1000")
    archive = run / "checkpoints" / NEWEST
    members = read_members(archive)
    members["meta.json"] = members["meta.json"] + b" " * (1 << 20)
    write_members(archive, members)
    with pytest.raises(CheckpointLoadError, match=r"meta\.json exceeds 1048576 bytes"):
        read_checkpoint(archive, run / "out")
