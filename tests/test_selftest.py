"""``tjv-desktop --self-test`` and ``--version`` from source (the frozen build runs the same checks in
tests/test_packaging.py): the checks pass on a good install and fail, saying why, on a bad one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from tjv_desktop.buildinfo import _git_commit, build_info
from tjv_desktop.selftest import image_problems

REPO_ROOT_FOR_TESTS = Path(__file__).resolve().parents[1]


def _run(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TJV_POLICY_FILE": str(tmp_path / "p.json"),
            "TJV_DEFAULTS_FILE": str(tmp_path / "d.json")}
    return subprocess.run([sys.executable, "-m", "tjv_desktop.cli", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=120, cwd=REPO_ROOT_FOR_TESTS)


def test_version_from_source_names_the_checkout_commit(tmp_path):
    out = _run(["--version"], tmp_path)
    commit = _git_commit(REPO_ROOT_FOR_TESTS)
    assert commit != "unknown"
    assert out.stdout == f"tjv-desktop {build_info().version} (commit {commit})\n"


def test_self_test_passes_and_saves_the_rendered_window(tmp_path, artifacts_dir):
    png = artifacts_dir / "selftest.png"
    out = _run(["--self-test", "--screenshot", str(png)], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    checks = [line.split(":")[0] for line in out.stdout.splitlines()]
    assert checks == ["self-test"] * 6 and out.stdout.rstrip().endswith("self-test: passed")
    image = QImage(str(png))
    assert image_problems(image, (image.width(), image.height())) is None


def test_self_test_fails_naming_an_invalid_policy(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"audio_pause_seconds": 5}))
    out = _run(["--self-test"], tmp_path)
    assert out.returncode == 1
    assert (f"self-test: FAILED settings: audio_pause_seconds = 5 from machine policy {tmp_path / 'p.json'}: "
            "must be a whole number of seconds ≥ 10 and ≤ 900") in out.stderr


def test_a_blank_or_wrongly_sized_render_is_reported(qapp):
    blank = QImage(1600, 1000, QImage.Format.Format_RGB32)
    blank.fill(QColor("#1e1e1e"))
    assert "looks blank (1 colours, 0.0 % drawn)" in image_problems(blank, (1600, 1000))
    assert "rendered as 1600×1000, expected 1280×800" in image_problems(blank, (1280, 800))
