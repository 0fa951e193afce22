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
    print("tjv-desktop: signing in to a configured server from a window is not built yet; use "
          "`tjv-desktop --demo` (the window on the local sandbox) or `tjv-desktop watch` (headless).", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
