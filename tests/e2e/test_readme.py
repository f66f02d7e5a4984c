"""Every ```python and ```bash block of README.md, run for real.

A block runs as it stands in a temporary folder: a Python block as a script in a fresh
``python``, a shell block with ``bash -e``; this checkout comes first on ``PYTHONPATH`` and this
interpreter's commands (``stitch-movies``, ``glompo-scope-chkpt``) first on ``PATH``, with the
ffmpeg binary the package uses for a block that calls ``ffmpeg``. Later blocks work on what
earlier ones left: the h5py, live playlist and ``stitch-movies`` blocks use the folder of "Run,
checkpoint, resume". Outputs are checked from outside the package: h5py, PyYAML, JSON and the
ffmpeg binary. The few blocks that cannot run here are listed in :data:`NOT_RUN_AS_IS`, each with
the test that runs its equivalent; a block neither run nor listed fails
:func:`test_every_block_is_run_or_listed`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from glompo_scope_chkpt._ffmpeg import ffmpeg_exe
from tests.helpers.leftovers import kill_tree, wait_for
from tests.helpers.media import decode, make_segment, play

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TIMEOUT = 600.0
"""Seconds one block may take (they take seconds to tens of seconds)."""

FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_LANGS = ("python", "bash")
"""Fenced blocks in these languages are code; a block without a language is a text figure."""

RUN_AS_IS: dict[str, str] = {
    # a text only this block holds: the test here that runs it as it stands
    'working_dir="run"': "test_run_checkpoint_resume_block",
    "import h5py": "test_h5py_block",
    "-c copy so_far.mp4": "test_so_far_block",
    "stitch-movies run/": "test_stitch_movies_block",
    "glompo-scope-chkpt render run/": "test_render_block",
    "LocalCluster(": "test_dask_block",
}

NOT_RUN_AS_IS: dict[str, tuple[str, str]] = {
    # a text only this block holds: (the test that runs its equivalent, why not as it stands)
    "pip install -e . && glompo-scope-chkpt demo": (
        "test_demo_block",
        "`pip install -e .` would re-point the package of the environment running the tests; "
        ".ci/run installs it that way before the tests. The demo after `&&` runs as it stands.",
    ),
    "python -m pytest": (
        "test_test_block_is_what_ci_runs",
        "it runs this whole suite, so it would recurse: asserted to be the command .ci/run runs.",
    ),
    "sbatch ": (
        "test_job_is_signalled_checkpoints_requeues_and_finishes_with_one_movie",
        "needs SLURM: the SLURM end-to-end test submits scripts/slurm_job.sh to a real one; "
        "test_sbatch_block_names_what_exists checks the script and the options named here.",
    ),
    "ffplay -live_start_index 0 run/": (
        "test_so_far_block",
        "players need a display: ffplay and mpv read the playlist with the HLS demuxer that the "
        "ffmpeg block reads it with; test_players_read_what_the_ffmpeg_block_copies checks their "
        "playlist and options. VLC has its own HLS reader, not tested.",
    ),
    "sshfs ": (
        "test_so_far_block",
        "needs a cluster, sshfs and a display: mounted, the run folder is read as a local one.",
    ),
    "python -m http.server": (
        "test_http_server_block",
        "needs a cluster and a display: the test runs this server command on the run's "
        "checkpoints folder, on a free local port, and plays the URL with ffmpeg, not ffplay.",
    ),
}


# ------------------------------------------------------------------------------ the blocks
def readme_blocks() -> list[tuple[str, str]]:
    """Return ``(language, code)`` of every fenced block of README.md, in order."""
    text = README.read_text(encoding="utf-8")
    return [(match["lang"].strip(), match["code"]) for match in FENCE.finditer(text)]


def code_blocks() -> list[str]:
    """Return the code of every Python and shell block of README.md, in order."""
    return [code for lang, code in readme_blocks() if lang in CODE_LANGS]


def block(marker: str) -> str:
    """Return the code of the one Python or shell block holding ``marker``."""
    found = [code for code in code_blocks() if marker in code]
    assert len(found) == 1, f"{len(found)} README blocks hold {marker!r}"
    return found[0]


def _env(first: Sequence[Path] = ()) -> dict[str, str]:
    folders = [*map(str, first), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    path = os.pathsep.join(folders)
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PATH": path, "PYTHONPATH": python_path, "MPLBACKEND": "Agg"}


def run_block(
    code: str, cwd: Path, name: str, lang: str = "python", path: Sequence[Path] = ()
) -> str:
    """Run ``code`` in ``cwd`` as the script ``name``; fail unless it exits 0; return stdout.

    The folders ``path`` come first on its ``PATH``.
    """
    script = cwd / f"{name}.{'py' if lang == 'python' else 'sh'}"
    script.write_text(code, encoding="utf-8")
    argv = [sys.executable, script.name] if lang == "python" else ["bash", "-e", script.name]
    proc = subprocess.run(
        argv, cwd=cwd, env=_env(path), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode == 0, (
        f"README block {name} exited with {proc.returncode}:\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


# ------------------------------------------------------------------ outputs, from outside
def assert_each_call_once(log: Path) -> tuple[np.ndarray, int]:
    """Check with h5py that every call_id up to ``f_counter`` is logged exactly once."""
    with h5py.File(log, "r") as f:
        rows = [f[name]["iter_history"]["call_id"] for name in f if name.startswith("optimizer_")]
        f_counter = int(f.attrs["f_counter"])
        assert json.loads(f.attrs["rollbacks"]) == []
    calls = np.sort(np.concatenate(rows))
    np.testing.assert_array_equal(calls, np.arange(1, f_counter + 1))
    assert not list(log.parent.glob("glompo_log.rollback-*")), "rows were rolled back"
    return calls, f_counter


def summary_sessions(folder: Path) -> list[dict]:
    """The sessions recorded in ``glompo_manager_log.yml``, read with PyYAML."""
    text = (folder / "glompo_manager_log.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["sessions"]


def assert_resumed_where_stopped(folder: Path, stdout: str, first_end: str) -> int:
    """Check that session 1 ended by ``first_end`` and session 2 went on from its f_counter.

    A block prints ``f_counter end_reason`` after its first session; return that f_counter.
    """
    first_line = stdout.splitlines()[0]
    stopped_at, reason = first_line.split(" ", 1)
    assert first_end in reason, first_line
    sessions = summary_sessions(folder)
    assert len(sessions) == 2
    assert sessions[1]["f_counter_start"] == int(stopped_at) > 0
    assert sessions[1]["resumed_from"] and "time limit" not in sessions[1]["end_reason"]
    return int(stopped_at)


def manifest_segments(folder: Path) -> list[dict]:
    """The segments of ``folder/checkpoints/movie_manifest.json``, read as JSON."""
    text = (folder / "checkpoints" / "movie_manifest.json").read_text(encoding="utf-8")
    return json.loads(text)["segments"]


def frames(movie: Path) -> int:
    """Decode ``movie`` with the ffmpeg binary; fail on any error; return its frames."""
    count, errors = decode(movie)
    assert errors == "", f"{movie}: {errors}"
    return count


def timeline_frames(folder: Path) -> int:
    """The frames of the run's timeline (its ``complete`` segments), read from the manifest."""
    return sum(s["frames"] for s in manifest_segments(folder) if s["status"] == "complete")


def video_size(movie: Path) -> str:
    """The ``WxH`` of the first video stream, as ffmpeg reports it."""
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(movie)], capture_output=True)
    match = re.search(r"Video: .*?, (\d+x\d+)", info.stderr.decode("utf-8", "replace"))
    assert match, f"no video stream in {movie}"
    return match[1]


# -------------------------------------------------------------------------- the inventory
def test_every_block_is_run_or_listed():
    blocks = readme_blocks()
    others = {lang for lang, _ in blocks} - {*CODE_LANGS, ""}
    assert not others, f"README blocks in {others}: make them python or bash, and run them"
    code = code_blocks()
    markers = [*RUN_AS_IS, *NOT_RUN_AS_IS]
    for text in code:
        held = [marker for marker in markers if marker in text]
        assert len(held) == 1, f"README block run or listed {len(held)} times:\n{text}"
    for marker in markers:
        block(marker)
    assert len(code) == len(RUN_AS_IS) + len(NOT_RUN_AS_IS)
    assert all(name in globals() for name in RUN_AS_IS.values())
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    for name, _ in NOT_RUN_AS_IS.values():
        assert f"def {name}(" in sources, f"{name} (the equivalent of a README block) is gone"


# --------------------------------------------------------------------- "The two commands"
@pytest.mark.slow
def test_demo_block(tmp_path):
    install, demo = (part.strip() for part in block("glompo-scope-chkpt demo").split("&&"))
    assert install == "pip install -e ."
    out = run_block(demo, tmp_path, "demo", lang="bash")
    folder = tmp_path / "glompo_demo"
    (stopped_at,) = re.findall(r"Session 1 was interrupted after (\d+) evaluations", out)
    sessions = summary_sessions(folder)
    assert len(sessions) == 2 and sessions[1]["resumed_from"]
    assert sessions[1]["f_counter_start"] == int(stopped_at) > 0
    assert_each_call_once(folder / "glompo_log.h5")
    complete = [s for s in manifest_segments(folder) if s["status"] == "complete"]
    assert {s["session"] for s in complete} == {1, 2}
    assert frames(folder / "glomporecording.mp4") == sum(s["frames"] for s in complete) > 0
    assert (folder / "glomporecording_final.png").stat().st_size > 0


def test_test_block_is_what_ci_runs():
    command = block("python -m pytest").strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == command


# ------------------------------------------------------- "Run, checkpoint, resume" and after
@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The folder where the README's main example ran, and what it printed."""
    folder = tmp_path_factory.mktemp("readme_run")
    return folder, run_block(block('working_dir="run"'), folder, "run_checkpoint_resume")


@pytest.mark.slow
def test_run_checkpoint_resume_block(run_folder):
    folder, stdout = run_folder
    run = folder / "run"
    stopped_at = assert_resumed_where_stopped(run, stdout, "session time limit reached")
    calls, f_counter = assert_each_call_once(run / "glompo_log.h5")
    assert (calls <= stopped_at).any() and (calls > stopped_at).any()
    assert f_counter == 4000 or "target cost" in stdout
    complete = [s for s in manifest_segments(run) if s["status"] == "complete"]
    assert {s["session"] for s in complete} == {1, 2}
    assert frames(run / "glomporecording.mp4") == sum(s["frames"] for s in complete) > 0


@pytest.mark.slow
def test_inspect_command_of_the_text(run_folder):
    folder, _ = run_folder
    (command,) = re.findall(r"`(glompo-scope-chkpt inspect [^`]+)`", README.read_text())
    out = run_block(command, folder, "inspect", lang="bash")
    kept = sorted(p.name for p in (folder / "run" / "checkpoints").glob("*.tar.gz"))
    assert kept and [Path(line.split(":")[0]).name for line in out.splitlines()] == kept


@pytest.mark.slow
def test_h5py_block(run_folder):
    folder, _ = run_folder
    out = run_block(block("import h5py"), folder, "read_log")
    with h5py.File(folder / "run" / "glompo_log.h5", "r") as f:
        key, f_counter = f.attrs["key"], int(f.attrs["f_counter"])
        end_reason = f["optimizer_1"].attrs["end_reason"]
    assert out.splitlines()[0] == f"{key} {f_counter}"
    assert out.rstrip().endswith(end_reason)


@pytest.mark.slow
def test_stitch_movies_block(run_folder, tmp_path):
    code = block("stitch-movies run/")
    shutil.copytree(run_folder[0] / "run", tmp_path / "run")
    pieces = {"a.mp4": (320, 240), "b c.mkv": (160, 120), "d.ts": (320, 240)}
    for number, (name, size) in enumerate(pieces.items(), start=3):
        make_segment(tmp_path / name, number, size=size, fps=25)
    out = run_block(code, tmp_path, "stitch", lang="bash")

    segments = manifest_segments(tmp_path / "run")
    assert all(s["path"] in out for s in segments), out  # --list
    # the timeline: a session's last frame is superseded when the run resumes past it
    on_timeline = sum(s["frames"] for s in segments if s["status"] == "complete")
    assert frames(tmp_path / "run" / "glomporecording.mp4") == on_timeline
    (checkpoint,) = re.findall(r"--from-checkpoint (\S+)", code)
    (last,) = [s["index"] for s in segments if s["checkpoint"] == checkpoint]
    at = sum(s["frames"] for s in segments if s["index"] <= last)
    assert frames(tmp_path / re.findall(r"--from-checkpoint \S+ -o (\S+)", code)[0]) == at
    assert frames(tmp_path / "everything.mp4") == sum(s["frames"] for s in segments)
    assert frames(tmp_path / "all.mp4") == 3 + 4 + 5
    assert video_size(tmp_path / "all.mp4") == "1280x720"
    assert frames(tmp_path / "share.webm") == on_timeline
    assert video_size(tmp_path / "share.gif") == "480x320" and frames(tmp_path / "share.gif") > 0


def test_render_block(run_folder, tmp_path):
    shutil.copytree(run_folder[0] / "run", tmp_path / "run")
    run_block(block("glompo-scope-chkpt render run/"), tmp_path, "render", lang="bash")
    live, redrawn = tmp_path / "run" / "glomporecording.mp4", tmp_path / "redrawn.mp4"
    assert frames(redrawn) == frames(live) > 0  # the same frames, at another size
    assert video_size(redrawn) == "600x400" != video_size(live)


# ----------------------------------------------------------------- "Beyond one machine"
@pytest.mark.slow
def test_dask_block(tmp_path):
    pytest.importorskip("distributed", reason="Dask is an optional extra: .[dask]")
    stdout = run_block(block("LocalCluster("), tmp_path, "dask_run")
    run = tmp_path / "dask_run"
    stopped_at = assert_resumed_where_stopped(run, stdout, "session time limit reached")
    _, f_counter = assert_each_call_once(run / "glompo_log.h5")
    assert f_counter == 400 and stopped_at < 400


def test_sbatch_block_names_what_exists():
    words = shlex.split(block("sbatch ").strip())
    assert words[0] == "sbatch"
    options = [word for word in words[1:] if word.startswith("--")]
    script, spec, working_dir = (word for word in words[1:] if not word.startswith("--"))
    job = (ROOT / script).read_text(encoding="utf-8")
    for option in ("--signal=B:USR1@300", "--requeue", "--open-mode=append"):
        assert f"#SBATCH {option}\n" in job  # what the README says the job asks for
    assert "OPTIMIZATION.py" in job and "WORKING_DIR" in job
    assert spec.endswith(".py") and working_dir
    if shutil.which("sbatch"):
        usage = subprocess.run(["sbatch", "--help"], capture_output=True, text=True).stdout
        assert all(option.split("=")[0] in usage for option in options)


# ------------------------------------------------------------- "Watch a run while it runs"
@pytest.fixture(scope="module")
def ffmpeg_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``ffmpeg``: the binary the package uses, for a block to find on PATH."""
    folder = tmp_path_factory.mktemp("bin")
    (folder / "ffmpeg").symlink_to(ffmpeg_exe())
    return folder


@pytest.mark.slow
def test_so_far_block(run_folder, ffmpeg_folder):
    folder, _ = run_folder
    code = block("-c copy so_far.mp4")
    run_block(code, folder, "so_far", lang="bash", path=[ffmpeg_folder])
    assert frames(folder / "so_far.mp4") == timeline_frames(folder / "run") > 0


def test_players_read_what_the_ffmpeg_block_copies():
    players = [shlex.split(line) for line in block("ffplay -live_start_index 0 run/").splitlines()]
    (copy,) = [shlex.split(line) for line in block("-c copy so_far.mp4").splitlines()]
    assert [words[-1] for words in players] == [copy[copy.index("-i") + 1]] * 3
    options = ["-live_start_index 0", "--demuxer-lavf-o=live_start_index=0"]
    assert [" ".join(words[1:-1]) for words in players[:2]] == options
    hls = [ffmpeg_exe(), "-hide_banner", "-h", "demuxer=hls"]
    usage = subprocess.run(hls, capture_output=True, text=True, check=True).stdout
    assert "-live_start_index " in usage and "-m3u8_hold_counters " in usage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_http_server_block(run_folder, tmp_path):
    folder, _ = run_folder
    lines = block("python -m http.server").splitlines()
    (ssh_serve,) = [shlex.split(line) for line in lines if "http.server" in line]
    (tunnel,) = [shlex.split(line, comments=True) for line in lines if " -L " in line]
    (player,) = [shlex.split(line) for line in lines if line.startswith("ffplay")]
    cd, serve = (shlex.split(part) for part in ssh_serve[-1].split("&&"))
    assert (
        cd[0] == "cd"
        and cd[1].endswith("/checkpoints")
        and serve[:3] == ["python", "-m", "http.server"]
    )
    port = serve[3]
    assert tunnel[tunnel.index("-L") + 1] == f"{port}:127.0.0.1:{port}"
    assert player[-1] == f"http://127.0.0.1:{port}/movie.m3u8"

    free = str(_free_port())
    argv = [sys.executable, *serve[1:3], free, *serve[4:]]  # the README's, on a free port
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            argv, cwd=folder / "run" / "checkpoints", stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: _accepts(int(free)), server, timeout=30)
            stamps = play(player[-1].replace(f":{port}/", f":{free}/"))
        finally:
            kill_tree(server)
    assert len(stamps) == timeline_frames(folder / "run") > 0
    assert stamps == sorted(set(stamps)), "timestamps are not increasing"
    assert "GET /segments/" in (tmp_path / "server.log").read_text(), "not played over HTTP"
