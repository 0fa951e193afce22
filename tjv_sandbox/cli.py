"""``tjv-sandbox``: run the local Supabase stand-in until SIGINT/SIGTERM.

Prints one JSON line once ready: {"url", "anon_key", "service_role_key", "db_url", "users": [...]}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from .postgres import PostgresError
from .server import Sandbox


def default_data_dir() -> Path:
    """Where the demo keeps its sandbox. Root's home is closed to the ``postgres`` user, so root uses /var/lib."""
    if os.geteuid() == 0:
        return Path("/var/lib/tjv-desktop/sandbox")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tjv-desktop" / "sandbox"


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tjv-sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, default=None,
                       help="keep the database here (default: a temporary folder removed at exit)")
    where.add_argument("--demo-data-dir", action="store_true",
                       help=f"keep the database in the demo's folder ({default_data_dir()})")
    p.add_argument("--simulate", type=int, default=0, metavar="N", help="simulate N post-operative patients")
    p.add_argument("--seed", type=int, default=1, help="simulator seed (same seed, same scenarios)")
    p.add_argument("--sim-interval", type=float, default=2.0, help="seconds between simulated vitals")
    p.add_argument("--backfill-hours", type=float, default=72.0,
                   help="history written for simulated patients that have none (0: none)")
    p.add_argument("--patient-apps", type=int, default=0, metavar="N",
                   help="run the home app of the first N simulated patients (presence, read receipts), "
                        "one realtime socket each")
    p.add_argument("--jwt-expiry", type=int, default=3600, help="lifetime of access tokens, seconds")
    p.add_argument("--max-events-per-second", type=int, default=None, metavar="N",
                   help="Realtime messages per second for the project (default 500, as the Pro plan)")
    p.add_argument("--max-payload-kb", type=int, default=None, metavar="KB",
                   help="Realtime broadcast payload limit (default 3000, as the Pro plan)")
    p.add_argument("--drop-broadcasts", type=_fraction, default=None, metavar="FRACTION",
                   help="drop this fraction (0..1) of database broadcasts on purpose, deterministically "
                        "(counted at /sandbox/v1/metrics; changeable at POST /sandbox/v1/faults)")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    temp_root = None
    data_dir = default_data_dir() if args.demo_data_dir else args.data_dir
    if data_dir is None:
        temp_root = Path(tempfile.mkdtemp(prefix="tjv-sandbox-"))
        temp_root.chmod(0o711)
        data_dir = temp_root
    realtime = {name: value for name, value in (("max_events_per_second", args.max_events_per_second),
                                                ("max_payload_kb", args.max_payload_kb),
                                                ("drop_broadcasts", args.drop_broadcasts)) if value is not None}
    sandbox = Sandbox(data_dir, args.host, args.port, jwt_expiry=args.jwt_expiry,
                      simulate=args.simulate, seed=args.seed, sim_interval=args.sim_interval,
                      backfill_hours=args.backfill_hours, realtime=realtime, patient_apps=args.patient_apps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await sandbox.start()
        print(json.dumps(await sandbox.ready_line()), flush=True)
        await stop.wait()
    except PostgresError as exc:
        logging.getLogger("tjv_sandbox").error("%s", exc)
        return 2
    finally:
        await sandbox.stop()
        if temp_root is not None:
            shutil.rmtree(temp_root, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
