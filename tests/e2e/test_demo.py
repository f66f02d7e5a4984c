"""The bundled demo (the README's first command): interrupted, resumed, one movie, any speed."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.cli.main import main
from glompo_scope_chkpt.log.writer import read_log
from tests.helpers.media import assert_decodes_cleanly

pytestmark = pytest.mark.slow


def test_demo_is_interrupted_even_when_the_machine_beats_its_wall_time(tmp_path, capsys):
    folder = tmp_path / "demo"
    argv = ["demo", str(folder), "--quick", "--evaluations", "3000", "--wall-time", "600"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Session 1 was interrupted after" in out and "finished at 3000" in out
    first = int(out.split("interrupted after ")[1].split()[0])
    assert 1000 < first < 3000
    movie = folder / "glomporecording.mp4"
    assert assert_decodes_cleanly(movie) >= 2
    assert f"({assert_decodes_cleanly(movie)} frames, both sessions)" in out
    assert (folder / "glomporecording_final.png").stat().st_size > 0
    log = read_log(folder / "glompo_log.h5")
    calls = np.sort(np.concatenate([o["call_id"] for o in log["optimizers"].values()]))
    np.testing.assert_array_equal(calls, np.arange(1, 3001))


def test_demo_refuses_a_folder_it_did_not_make_and_leaves_it_alone(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep")
    assert main(["demo", str(tmp_path), "--quick"]) == 1
    assert "not empty and was not made by the demo" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
