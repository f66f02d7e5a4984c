"""``glompo-scope-chkpt report``: one HTML page about a run, opened in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.cli import report
from glompo_scope_chkpt.cli.main import main
from glompo_scope_chkpt.movie.manifest import Manifest
from glompo_scope_chkpt.movie.video.probe import probe

VIS = {"record_movie": True, "events_per_flush": 10, "movie_kwargs": {"dpi": 40}}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def resumed_run(make_manager) -> Path:
    """A run of two sessions: the second resumed from the first checkpoint with another dpi."""
    manager = make_manager(
        visualisation=True,
        visualisation_args=VIS,
        summary_files=3,
        control={"checkpoint_iter_frequency": 200},
    )
    manager.start_manager()
    folder = manager.settings.checkpoint_control.checkpointing_dir
    resumed = GloMPOManager.load_manager(
        folder / "chk_000.tar.gz", visualisation_args={"movie_kwargs": {"dpi": 50}}
    )
    resumed.start_manager()
    return manager.settings.working_dir


def _chromium() -> str:
    """Debian's chromium, installed when absent and running as root; else skip with the reason."""
    found = shutil.which("chromium")
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("no chromium; as root with apt-get the test installs Debian's 'chromium'")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}  # no stdin: never ask
    subprocess.run(["apt-get", "update"], capture_output=True, timeout=600, check=False, env=quiet)
    install = subprocess.run(
        ["apt-get", "install", "-y", "chromium"],
        capture_output=True,
        timeout=1200,
        check=False,
        env=quiet,
    )
    found = shutil.which("chromium")
    if install.returncode != 0 or found is None:
        pytest.skip(f"apt-get could not install chromium: {install.stderr[-500:]!r}")
    return found


def _open(page, html: Path, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_function("document.getElementById('movie').readyState >= 1", timeout=30_000)


def _check_page(browser, html: Path, movie, chapters, shot: Path) -> None:
    """No console error, the video's duration and width, each chapter link seeks, a screenshot."""
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _open(page, html, errors)
    duration, width = page.evaluate(
        "[document.getElementById('movie').duration, document.getElementById('movie').videoWidth]"
    )
    assert duration == pytest.approx(movie.duration, abs=1.5 / movie.fps)
    assert width == movie.width
    links = page.locator("a.chapter")
    assert links.count() == len(chapters)
    for number, chapter in reversed(list(enumerate(chapters))):
        links.nth(number).click()
        page.wait_for_function(
            f"Math.abs(document.getElementById('movie').currentTime - {chapter.seconds}) < 0.001"
        )
    page.screenshot(path=str(shot))  # the first screen: movie, chapters, timeline
    assert 10_000 < shot.stat().st_size < 300_000
    assert errors == []
    page.close()


@pytest.mark.slow
def test_the_report_plays_and_seeks_in_headless_chromium(resumed_run, tmp_path, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    chromium = _chromium()
    assert main(["report", str(resumed_run)]) == 0
    movie = probe(resumed_run / "glomporecording.mp4")
    chapters = report.chapters(Manifest.load(resumed_run / "checkpoints").timeline())
    assert [c.title for c in chapters] == [
        "session 1",
        "checkpoint chk_000 at 200 evaluations",
        "session 2, resumed from chk_000 at 200 evaluations",
        "checkpoint chk_002 at 400 evaluations",
    ]
    monkeypatch.setattr(report, "EMBED_LIMIT", 0)  # as a large movie: linked, not embedded
    copy = Path(shutil.copytree(resumed_run, tmp_path / "copied run"))
    assert main(["report", str(copy)]) == 0
    assert 'src="glomporecording.mp4"' in (copy / "report.html").read_text()
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            _check_page(browser, resumed_run / "report.html", movie, chapters, tmp_path / "a.png")
            shutil.rmtree(resumed_run)  # the copy needs nothing of the original
            _check_page(browser, copy / "report.html", movie, chapters, tmp_path / "b.png")
        finally:
            browser.close()


def test_the_copied_report_embeds_a_small_movie(resumed_run, tmp_path):
    assert main(["report", str(resumed_run), "-o", str(tmp_path / "away.html")]) == 0
    page = (tmp_path / "away.html").read_text()
    assert 'src="data:video/mp4;base64,' in page
    assert page.count('class="chapter"') == 4 and "Optimizers" in page
    assert page.count("data:image/png;base64,") == 2
    assert page.count('<tr class="superseded">') == 2


def test_a_run_without_a_movie_gets_a_report_without_video(make_manager, tmp_path, capsys):
    manager = make_manager(summary_files=3, control={"checkpoint_iter_frequency": 300})
    manager.start_manager()
    assert main(["report", str(manager.settings.working_dir)]) == 0
    page = (manager.settings.working_dir / "report.html").read_text()
    assert "<video" not in page and "a.chapter" in page  # the script only
    assert "<h2>Optimizers</h2>" in page and "<h2>Result</h2>" in page
    assert capsys.readouterr().out.strip() == str(manager.settings.working_dir / "report.html")


def test_every_text_of_the_run_is_escaped(make_manager, tmp_path):
    manager = make_manager(summary_files=3, working_dir=tmp_path / '<b id="x">&run')
    manager.start_manager()
    assert main(["report", str(manager.settings.working_dir)]) == 0
    page = (manager.settings.working_dir / "report.html").read_text()
    assert '<b id="x">' not in page and "&lt;b id=&quot;x&quot;&gt;&amp;run" in page


@pytest.mark.parametrize("case", ["missing", "not a run", "bad summary", "no output folder"])
def test_bad_input_exits_2_naming_the_folder_and_the_fix(case, tmp_path, capsys):
    run = tmp_path / "run"
    out: list[str] = []
    if case != "missing":
        run.mkdir()
    if case == "bad summary":
        (run / "glompo_manager_log.yml").write_text("[unclosed")
    if case == "no output folder":
        (run / "glompo_manager_log.yml").write_text("result: {}\n")
        out = ["-o", str(tmp_path / "nowhere" / "r.html")]
    assert main(["report", str(run), *out]) == 2
    message = capsys.readouterr().err
    expected = {
        "missing": "give the run's working folder",
        "not a run": "Give the working_dir of a run",
        "bad summary": "Restore it, or remove it",
        "no output folder": "create it, or give another -o",
    }[case]
    assert expected in message and str(tmp_path) in message
    assert not (run / "report.html").exists()
