"""``tjv-desktop --self-test`` and ``--version`` from source (the frozen build runs the same checks in
tests/test_packaging.py): the checks pass on a good install and fail, saying why, on a bad one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

from tjv_desktop.app.buildinfo import _git_commit, build_info
from tjv_desktop.app.selftest import image_problems

REPO_ROOT_FOR_TESTS = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TJV_POLICY_FILE": str(tmp_path / "p.json"),
            "TJV_DEFAULTS_FILE": str(tmp_path / "d.json")}
    return subprocess.run([sys.executable, "-m", "tjv_desktop.app.cli", *args], capture_output=True, text=True,
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


def test_a_refused_start_is_shown_on_screen_in_the_desktop_language(qapp, artifacts_dir):
    from tjv_desktop.ui.i18n import install_translator
    from tjv_desktop.ui.startup_error import settings_error_box

    error = (r"idle_lock_minutes = -5 from machine defaults HKLM\Software\TJV\TJV Desktop: "
             "must be a whole number of minutes ≥ 1 and ≤ 240")
    try:
        for language, title in (("en", "TJV Desktop cannot start"), ("es", "TJV Desktop no puede iniciarse")):
            assert install_translator(qapp, language) == language
            box = settings_error_box(error)
            assert box.windowTitle() == title
            assert box.informativeText().startswith(error + "\n\n")  # the setting, value and source, verbatim
            box.show()  # laid out as exec() would
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            for label in box.findChildren(QLabel):  # nothing clipped: every line fits its label
                if label.text():
                    assert label.heightForWidth(label.width()) <= label.height() or not label.wordWrap(), label.text()
            assert box.grab().save(str(artifacts_dir / f"startup_error_{language}.png"))
            box.close()
            box.deleteLater()
    finally:
        install_translator(qapp, "en")


def test_a_desktop_start_refusal_is_not_shown_where_nobody_could_close_it(monkeypatch):
    from tjv_desktop.app import cli

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("DISPLAY", ":0")
    assert not cli._started_from_desktop()  # offscreen (tests, CI): never a modal box
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not cli._started_from_desktop() or sys.platform == "win32"  # no screen
