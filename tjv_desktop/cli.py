"""``tjv-desktop``: the application's command line.

``--demo`` opens the monitoring window on the embedded sandbox with simulated patients (``--screenshot
PATH --exit-after SECONDS`` renders it and exits). ``watch`` runs the monitoring engine headless.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, logs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tjv-desktop", description="TJV Desktop provider monitoring")
    p.add_argument("--version", action="version", version=f"tjv-desktop {__version__}")
    p.add_argument("--demo", action="store_true", help="run on the embedded sandbox with simulated patients")
    p.add_argument("--patients", type=int, default=40, help="simulated patients in the demo")
    p.add_argument("--screenshot", type=Path, default=None, help="with --demo: save the window to this PNG")
    p.add_argument("--exit-after", type=float, default=None, help="with --demo: exit after this many seconds")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["watch"]:
        from . import watch

        return watch.main(argv[1:])
    args = parse_args(argv)
    logs.configure(args.log_level)
    if args.demo:
        from . import app

        return app.main_demo(args.patients, screenshot=args.screenshot, exit_after=args.exit_after,
                             log_level=args.log_level)
    return run_configured()


def run_configured() -> int:
    """The station on the configured server. Settings are checked first: an invalid or missing value
    stops the start with a message naming the setting and its source (never half-configured)."""
    from .settings import Settings, SettingsError

    try:
        settings = Settings.load()
        settings.require_complete()
    except SettingsError as exc:
        return refuse_to_start(str(exc))
    import qasync

    from .startup import Startup

    return qasync.run(Startup(settings).run_app())


def refuse_to_start(problem: str) -> int:
    """Says why the application will not start: on stderr, and in a dialog when there is a display."""
    import os

    print(f"tjv-desktop: cannot start: {problem}", file=sys.stderr)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "win32":
        from PySide6.QtWidgets import QApplication, QMessageBox

        from .ui.i18n import install_translator

        app = QApplication.instance() or QApplication([])
        install_translator(app, "system")  # the settings themselves are what is broken
        QMessageBox.critical(None, app.translate("startup", "TJV Desktop cannot start"),
                             app.translate("startup", "The configuration of this workstation is not valid:")
                             + f"\n\n{problem}\n\n"
                             + app.translate("startup", "Ask your IT department to correct it."))
    return 2


if __name__ == "__main__":
    sys.exit(main())
