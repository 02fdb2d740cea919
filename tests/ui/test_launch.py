"""`meshsim gui` starts the app from the installation, wherever it is started from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.ui_testing import REPO

COMMAND = Path(sys.executable).parent / "meshsim"


@pytest.mark.skipif(not COMMAND.exists(), reason="the meshsim command is not installed")
def test_gui_starts_beside_a_folder_named_meshsim(tmp_path):
    # the README's layout: a clone named meshsim in the folder the user works in
    (tmp_path / "meshsim").mkdir()
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [str(COMMAND), "gui", str(REPO / "samples" / "bookinfo.yaml"),
         "--screenshot", str(shot), "--quit"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 10_000
