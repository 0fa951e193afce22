"""``tjv-desktop``: the application's command line.

``--demo`` opens the monitoring window on the embedded sandbox with simulated patients (``--screenshot
PATH --exit-after SECONDS`` renders it and exits). ``watch`` runs the monitoring engine headless.
``--self-test`` checks an installed build without a server (selftest.py); ``--version`` names the commit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import logs
from .buildinfo import build_info, frozen
from .config import StationConfig
from .settings import Settings, SettingsError, settings_files


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    files = "; ".join(f"{title} {path}" for title, path in settings_files().items())
    p = argparse.ArgumentParser(
        prog="tjv-desktop", description="TJV Desktop provider monitoring",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n  watch                 the monitoring engine headless, printing JSON lines "
               "(tjv-desktop watch --help)\n\n"
               f"settings files on this machine: {files}"
               + (" (the registry keys under HKLM\\Software come first)" if sys.platform == "win32" else ""))
    p.add_argument("--version", action="version", version=build_info().describe())
    p.add_argument("--self-test", action="store_true",
                   help="open the main window offscreen with no server, check it renders, exit 0 (1 on failure)")
    p.add_argument("--demo", action="store_true", help="run on the embedded sandbox with simulated patients")
    p.add_argument("--patients", type=int, default=40, help="simulated patients in the demo")
    p.add_argument("--screenshot", type=Path, default=None,
                   help="with --demo or --self-test: save the window to this PNG")
    p.add_argument("--exit-after", type=float, default=None, help="with --demo: exit after this many seconds")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--audio-player"]:  # the alarm-tone child process (ui/audio.py), frozen builds too
        from ..ui import audio_player

        return audio_player.main(argv[1:])
    if argv[:1] == ["watch"]:
        from . import watch

        return watch.main(argv[1:])
    args = parse_args(argv)
    logs.configure(args.log_level)
    try:
        settings = None
        if not args.self_test:  # the self-test reports invalid settings itself
            settings = Settings.load()  # every layer validated before anything starts: never half-configured
        if args.self_test:
            from . import selftest

            return selftest.run(args.screenshot)
        if args.demo:
            if frozen():
                print("tjv-desktop: the demo sandbox is not part of the installed build; run it from a "
                      "development checkout (make demo).", file=sys.stderr)
                return 2
            from . import demo

            return demo.main_demo(StationConfig.from_settings(settings), args.patients,
                                  screenshot=args.screenshot, exit_after=args.exit_after, log_level=args.log_level)
        settings.require_complete()  # the server URL and key: nothing to sign in to without them
    except SettingsError as e:
        return refuse_to_start(e)
    return run_configured(StationConfig.from_settings(settings))


def run_configured(config: StationConfig) -> int:
    """The station on the configured server: stored session or the sign-in window (startup.py)."""
    import qasync

    from .startup import Startup

    return qasync.run(Startup(config).run_app())


def refuse_to_start(error: SettingsError) -> int:
    """An invalid setting stops the app before anything starts, naming the setting and its source: on the
    console, or in the log file when a windowed build has no console (logs.py)."""
    if sys.stderr is None:
        logging.getLogger("tjv_desktop").error("refusing to start: %s", error)
    else:
        print(f"tjv-desktop: refusing to start: {error}", file=sys.stderr)
    if _started_from_desktop():
        from ..ui.startup_error import show_settings_error

        show_settings_error(str(error))
    return 2


def _started_from_desktop() -> bool:
    """A shortcut or menu start (no terminal) on a machine with a screen: the refusal must be seen."""
    on_terminal = sys.stderr is not None and sys.stderr.isatty()
    screen = sys.platform == "win32" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return not on_terminal and screen and os.environ.get("QT_QPA_PLATFORM") != "offscreen"


if __name__ == "__main__":
    sys.exit(main())
