"""`meshsim gui` starts the app from the installation, wherever it is started from."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.ui.ui_testing import REPO


def test_gui_starts_beside_a_folder_named_meshsim(tmp_path):
    # the README's layout: a clone named meshsim in the folder the user works in
    (tmp_path / "meshsim").mkdir()
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        # -P: this command, like the installed `meshsim` script, does not look in the
        # current folder; the app it starts must not either
        [sys.executable, "-P", "-m", "meshsim", "gui", str(REPO / "samples" / "bookinfo.yaml"),
         "--screenshot", str(shot), "--quit"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 10_000
