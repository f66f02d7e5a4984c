"""Fuzzing the files a run reads back: checkpoint archives, HDF5 logs and movie manifests.

Each case damages one file of a real run with the seeded mutator of :mod:`tests.helpers.mutate`
and reads it back as a resume does. Every case must end in one of the package's errors (a
``GloMPOError``) or a good load, and a refused case must leave every file of the run as it was
(each file's SHA-256 before and after). A good load is, for a checkpoint, one identical to the
undamaged checkpoint's (only a checkpoint whose checksums were forged to match may load
otherwise), and loading the folder then still resumes, from the damaged checkpoint if it loads
identically, else from the one before; for a log, a resume that keeps every row up to the
checkpoint and moves the rest to the rollback file; for a manifest, one whose every path stays
inside the run folder, and which ``stitch-movies --list`` lists.

``GLOMPO_FUZZ_CASES`` sets the cases per file kind (default 300, 30 s for the three); every case is
reproduced from its seed, printed with any failure. The counts are printed at the end (``-s``).
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
import random
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.cli.stitch_movies import main as stitch_movies
from glompo_scope_chkpt.errors import GloMPOError
from glompo_scope_chkpt.log.writer import LOG_FILENAME, OptimizationLog, read_log
from glompo_scope_chkpt.movie.confine import (
    outfile_problem,
    segment_path_problem,
    working_dir_problem,
)
from glompo_scope_chkpt.movie.manifest import Manifest
from tests.helpers.hostile import archive_bytes, finished_run, folder_digest, read_members
from tests.helpers.media import make_run
from tests.helpers.mutate import fuzz_cases, hostile_value, mutate_bytes, mutate_json

CASES = fuzz_cases(300)
NEWEST, PREVIOUS, BOUND = "chk_002", 200, 300

pytestmark = pytest.mark.slow


def _fuzz(name: str, case: Callable[[random.Random], str]) -> collections.Counter:
    """Run ``CASES`` cases of ``case``; each returns its outcome, counted and printed."""
    counts: collections.Counter = collections.Counter()
    for seed in range(CASES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                counts[case(random.Random(seed))] += 1
        except Exception as exc:
            raise AssertionError(f"{name} fuzz case seed={seed}: {exc!r}") from exc
    print(f"\n{name}: {CASES} cases: {dict(sorted(counts.items()))}")
    return counts


def _outcome(load: Callable[[], Any]) -> tuple[str, Any]:
    """Run ``load``: ``("error:<class>", None)`` for one of the package's errors, or ``("ok", v)``.

    Any other exception fails the case.
    """
    try:
        return "ok", load()
    except GloMPOError as exc:
        return f"error:{type(exc).__name__}", None


# ------------------------------------------------------------------------------ checkpoints
def _signature(manager: GloMPOManager) -> tuple:
    state = manager.state
    return (
        state.key, state.f_counter, sorted(state.optimizers), [c.name for c in state.checkpoints],
        state.best_fx, state.best_call_id, manager.settings.seed, manager.task,
    )  # fmt: skip


def _rename(rng: random.Random, pairs: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Members dropped, repeated, renamed (to hostile names) or with damaged contents."""
    index, action = rng.randrange(len(pairs)), rng.randrange(4)
    name, data = pairs[index]
    if action == 0:
        return pairs[:index] + pairs[index + 1 :]
    if action == 1:
        return [*pairs, (name, data)]
    if action == 2:
        new = str(hostile_value(rng))[:200].replace("\0", "") or "x"
        return [*pairs[:index], (new, data), *pairs[index + 1 :]]
    return [*pairs[:index], (name, mutate_bytes(rng, data)), *pairs[index + 1 :]]


def _damage_archive(
    rng: random.Random, data: bytes, members: dict[str, bytes]
) -> tuple[bytes, bool]:
    """Damaged archive bytes, and whether its checksums were forged to match.

    The damage hits the raw bytes, ``meta.json``, or the members; a forged archive has a member
    changed and its checksum in ``meta.json`` updated to match.
    """
    kind = rng.randrange(4)
    if kind == 0:
        return mutate_bytes(rng, data), False
    if kind == 1:
        meta = mutate_json(rng, json.loads(members["meta.json"]), steps=rng.randrange(1, 3))
        return archive_bytes({**members, "meta.json": json.dumps(meta).encode()}), False
    if kind == 2:
        return archive_bytes(_rename(rng, list(members.items()))), False
    name = rng.choice([n for n in members if n != "meta.json"])
    changed = {**members, name: mutate_bytes(rng, members[name])}
    meta = json.loads(members["meta.json"])
    meta["files"][name] = hashlib.sha256(changed[name]).hexdigest()
    return archive_bytes({**changed, "meta.json": json.dumps(meta).encode()}), True


@pytest.fixture(scope="module")
def checkpoint_run(tmp_path_factory) -> Path:
    return finished_run(tmp_path_factory.mktemp("fuzz") / "run").parent


def test_fuzz_checkpoint_archives(checkpoint_run):
    archive = checkpoint_run / "checkpoints" / f"{NEWEST}.tar.gz"
    pristine, members = archive.read_bytes(), read_members(archive)
    newest = _signature(GloMPOManager.load_manager(archive))
    previous = _signature(GloMPOManager.load_manager(archive.with_name("chk_001.tar.gz")))

    def case(rng: random.Random) -> str:
        damaged, forged = _damage_archive(rng, pristine, members)
        archive.write_bytes(damaged)
        before = folder_digest(checkpoint_run)
        outcome, manager = _outcome(lambda: GloMPOManager.load_manager(archive))
        identical = manager is not None and _signature(manager) == newest
        assert outcome != "ok" or identical or forged, "a damaged checkpoint loaded differently"
        resumed = _signature(GloMPOManager.load_manager(archive.parent))
        expected = [newest] if identical else [previous] if manager is None else []
        assert not expected or resumed in expected, "the folder did not fall back"
        assert folder_digest(checkpoint_run) == before, "loading changed a file"
        archive.write_bytes(pristine)
        return "identical" if identical else "forged, loaded" if outcome == "ok" else outcome

    counts = _fuzz("checkpoint archives", case)
    assert sum(n for what, n in counts.items() if what.startswith("error")) > CASES // 2


# ------------------------------------------------------------------------------------ logs
_ATTR_VALUES = [
    "x", "", "[{", "[" * 2000, 0, -1, 2**62, 1.5, float("nan"), True, np.uint64(2**64 - 1),
    np.array([1, 2]), np.array([], dtype="i8"), np.bytes_(b"bytes"),
]  # fmt: skip
_ROOT_ATTRS = ["format", "key", "n_params", "f_counter", "started_at_call", "rollbacks"]
_GROUP_ATTRS = ["type", "start_call", "end_call", "end_reason", "metadata"]


def _damage_log(rng: random.Random, f: h5py.File) -> None:
    """One structural change made with h5py: attributes, datasets, rows or groups."""
    groups = [f[n] for n in sorted(f) if n.startswith("optimizer_")]
    groups = [g for g in groups if isinstance(g, h5py.Group)] or [f]
    group = rng.choice(groups)
    datasets = [
        group[n] for n in ("iter_history", "messages") if isinstance(group.get(n), h5py.Dataset)
    ]
    kind = rng.randrange(7) if datasets else rng.choice([0, 1, 6])
    if kind in (0, 1):
        target, names = (f, _ROOT_ATTRS) if kind == 0 else (group, _GROUP_ATTRS)
        name = rng.choice(names)
        if rng.random() < 0.2:
            target.attrs.pop(name, None)
        else:
            target.attrs[name] = rng.choice(_ATTR_VALUES)
    elif kind == 2 and datasets[0].maxshape == (None,):
        ds = rng.choice(datasets)
        ds.resize((rng.randrange(2 * ds.shape[0] + 2),))
    elif kind == 3 and datasets[0].shape[0] and datasets[0].dtype.names:
        ds = datasets[0]
        row, field = rng.randrange(ds.shape[0]), rng.choice(ds.dtype.names)
        values = ds[()]
        values[field][row] = rng.choice([0, -5, BOUND, BOUND + 1, 10**6, 2**62])
        ds[...] = values
    elif kind == 4:
        del f[rng.choice([group.name, *(ds.name for ds in datasets)])]
    elif kind == 5 and group is not f:
        new = rng.choice(["optimizer_x", "optimizer_-1", "optimizer_" + "9" * 30, "optimizer_77"])
        if new not in f:
            f.move(group.name, new)
    elif f"optimizer_{kind}00" not in f:
        f.create_dataset(f"optimizer_{kind}00", data=[1, 2, 3])


def _flip_chunk_bytes(rng: random.Random, path: Path) -> None:
    """Flip bytes inside the stored rows of one optimizer (data, never HDF5's own records)."""
    with h5py.File(path, "r") as f:
        ds = f[sorted(n for n in f if n.startswith("optimizer_"))[rng.randrange(4)]]
        ds = ds["iter_history"]
        chunks = [ds.id.get_chunk_info(i) for i in range(ds.id.get_num_chunks())]
        spans = [(c.byte_offset, c.size) for c in chunks]
    if spans:
        offset, size = rng.choice(spans)
        data = bytearray(path.read_bytes())
        for _ in range(rng.randrange(1, 9)):
            data[offset + rng.randrange(size)] ^= rng.randrange(1, 256)
        path.write_bytes(bytes(data))


def _rows(data: dict[str, Any]) -> dict[int, np.ndarray]:
    return {opt_id: opt["call_id"] for opt_id, opt in data["optimizers"].items()}


@pytest.fixture(scope="module")
def log_run(tmp_path_factory) -> Path:
    return finished_run(tmp_path_factory.mktemp("fuzz") / "run").parent


def test_fuzz_logs(log_run):
    path, pristine = log_run / LOG_FILENAME, (log_run / LOG_FILENAME).read_bytes()
    key, n_params = str(read_log(path)["attrs"]["key"]), 3
    whole = _rows(read_log(path))

    def case(rng: random.Random) -> str:
        path.write_bytes(pristine)
        for leftover in log_run.glob("glompo_log.rollback-*"):
            leftover.unlink()
        if rng.random() < 0.25:
            _flip_chunk_bytes(rng, path)
        else:
            with h5py.File(path, "r+") as f:
                for _ in range(rng.randrange(1, 3)):
                    _damage_log(rng, f)
        before = folder_digest(log_run)
        _, damaged = _outcome(lambda: _rows(read_log(path)))
        outcome, log = _outcome(lambda: OptimizationLog.resume(path, key, n_params, BOUND, NEWEST))
        if log is None:
            assert folder_digest(log_run) == before, "a refused resume changed a file"
            return outcome
        log.close()
        assert damaged is not None, "a log that read_log refuses was resumed"
        kept = _rows(read_log(path))
        aside = sorted(log_run.glob("glompo_log.rollback-*"))
        moved = _rows(read_log(aside[0])) if aside else {}
        for opt_id, ids in damaged.items():
            assert np.array_equal(kept.get(opt_id, ids[:0]), ids[ids <= BOUND]), "a row lost"
            assert np.array_equal(moved.get(opt_id, ids[:0]), ids[ids > BOUND]), "a row lost"
        same = all(np.array_equal(kept.get(i, []), ids[ids <= BOUND]) for i, ids in whole.items())
        return "resumed, identical rows" if same else "resumed, rows as damaged"

    counts = _fuzz("logs", case)
    assert sum(n for what, n in counts.items() if what.startswith("error")) > CASES // 2


# ------------------------------------------------------------------------------- manifests
def _confined(manifest: Manifest) -> bool:
    paths_ok = all(segment_path_problem(r.path) is None for r in manifest.segments)
    return (
        paths_ok
        and outfile_problem(manifest.outfile) is None
        and (manifest.working_dir is None or working_dir_problem(manifest.working_dir) is None)
    )


def _damage_manifest(rng: random.Random, text: str) -> str:
    """Damaged manifest text: its JSON tree changed, or its bytes, or nesting spliced in."""
    kind = rng.randrange(4)
    if kind <= 1:
        return json.dumps(mutate_json(rng, json.loads(text), steps=rng.randrange(1, 4)))
    if kind == 2:
        return mutate_bytes(rng, text.encode()).decode("utf-8", "replace")
    at = rng.randrange(len(text))
    return text[:at] + "[" * rng.choice([10, 5_000, 100_000]) + text[at:]


@pytest.fixture(scope="module")
def manifest_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    make_run(root / "a" / "b" / "run")
    return root


def test_fuzz_manifests(manifest_run):
    working = manifest_run / "a" / "b" / "run"
    path = working / "checkpoints" / Manifest.FILENAME
    pristine = path.read_text()
    original = Manifest.load(path).to_dict()

    def case(rng: random.Random) -> str:
        path.write_text(_damage_manifest(rng, pristine), encoding="utf-8")
        before = folder_digest(manifest_run)
        outcome, manifest = _outcome(lambda: Manifest.load(path))
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
            code = stitch_movies([str(path.parent), "--list", "--json"])
        assert "Traceback" not in err.getvalue() and code in (0, 2), err.getvalue()
        assert (code == 0) == (manifest is not None), "stitch-movies and loading disagree"
        assert folder_digest(manifest_run) == before, "reading the manifest changed a file"
        if manifest is None:
            return outcome
        assert _confined(manifest), "a path leaves the run folder"
        return "identical" if manifest.to_dict() == original else "other valid manifest"

    counts = _fuzz("manifests", case)
    assert sum(n for what, n in counts.items() if what.startswith("error")) > CASES // 3
