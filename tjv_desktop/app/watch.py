"""``tjv-desktop watch``: the monitoring engine without a window, one JSON object per line on stdout.

    {"type": "alert", "id", "patient_id", "priority", "state", "raised_at", "updated_at"}
    {"type": "connection", "state": "connected" | "lost" | "reconnecting", "at", "reason"}
    {"type": "resync", "rows", "ms"}
    {"type": "stale", "age_s", "at"}     while not connected, every few seconds: how old the data is
    {"type": "store", "persistent", "message"} once at start, when the store is not a normal encrypted file

Exits 0 on SIGINT/SIGTERM, 2 on a sign-in failure or a refused ``--url`` (plain http:// to another machine
without the machine policy ``allow_insecure_http``), 3 when the server ends the session. A ``--store`` folder
it creates is readable by its owner only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..backend.auth import AuthState, SignInError
from ..backend.vault import Vault
from ..domain.events import ChangesApplied, LinkState, LinkStateChanged
from ..store import LocalStore
from . import logs
from .core import ClientCore
from .folders import private_folder
from .settings import INSECURE_HTTP_PROBLEM, Settings, SettingsError, insecure_http

log = logging.getLogger(__name__)

_CONNECTION_STATES = {LinkState.CONNECTED: "connected", LinkState.LOST: "lost", LinkState.RECONNECTING: "reconnecting"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tjv-desktop watch", description="Headless monitoring: JSON lines on stdout")
    p.add_argument("--url", required=True, help="Supabase project URL (or the sandbox's)")
    p.add_argument("--anon-key", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--store", type=Path, default=None, help="encrypted local store file (default: in memory)")
    p.add_argument("--probe-deadline", type=float, default=10.0, help="seconds before a silent link counts as lost")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


class JsonLines:
    def __init__(self, stream=sys.stdout):
        self.stream = stream

    def emit(self, obj: dict) -> None:
        self.stream.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
        self.stream.flush()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _password() -> str:
    password = os.environ.get("TJV_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SignInError("No password: set TJV_PASSWORD or run from a terminal to be asked.")
    return getpass.getpass("Password: ")


async def watch(args: argparse.Namespace, out: JsonLines) -> int:
    vault = Vault(args.url)
    core = ClientCore(args.url, args.anon_key, vault, store_path=args.store, probe_deadline=args.probe_deadline)
    if core.worker.path:
        private_folder(core.worker.path.parent)
    if args.store and not core.worker.path:
        out.emit({"type": "store", "persistent": False,
                  "message": f"{vault.description}; the store is kept in memory, not in {args.store}"})
    stop = asyncio.Event()
    exit_code = 0
    seen: dict[str, tuple] = {}
    pending: set[asyncio.Task] = set()
    try:
        report = await core.open()
        if report.outcome == "recovered":
            out.emit({"type": "store", "persistent": core.worker.persistent, "message": report.message})
        auth = core.auth
        try:
            identity = await auth.restore()
            if identity is None or (identity.email or "").lower() != args.email.lower():
                identity = await auth.sign_in(args.email, _password())
        except SignInError as exc:
            print(f"tjv-desktop watch: {exc}", file=sys.stderr)
            return 2
        if not identity.provider_id:
            print("tjv-desktop watch: this account is not a provider", file=sys.stderr)
            return 2

        async def print_alerts(changes) -> None:
            keys = changes["alerts"].inserted | changes["alerts"].updated
            for alert_id in sorted(keys):
                row = await core.worker.call(LocalStore.get, "alerts", alert_id)
                if row is None:
                    continue
                fingerprint = (row.get("priority"), row.get("state"), row.get("updated_at"))
                if seen.get(alert_id) == fingerprint:
                    continue
                seen[alert_id] = fingerprint
                out.emit({"type": "alert", "id": row["id"], "patient_id": row["patient_id"], "priority": row["priority"],
                          "state": row["state"], "raised_at": row["raised_at"], "updated_at": row["updated_at"]})

        def on_changes(event: ChangesApplied) -> None:
            task = asyncio.create_task(print_alerts(event.changes))
            pending.add(task)
            task.add_done_callback(pending.discard)

        def on_state(event: LinkStateChanged) -> None:
            if event.state in _CONNECTION_STATES:
                out.emit({"type": "connection", "state": _CONNECTION_STATES[event.state], "at": _now(),
                          "reason": event.reason})

        def on_auth(event) -> None:
            nonlocal exit_code
            if event.state is AuthState.SIGNED_OUT:
                out.emit({"type": "connection", "state": "lost", "at": _now(), "reason": event.reason})
                exit_code = 3
                stop.set()

        core.events.changes_applied.add(on_changes)
        core.events.link_state_changed.add(on_state)
        core.events.resync_finished.add(lambda r: out.emit({"type": "resync", "rows": r.rows, "ms": round(r.ms, 1)}))
        auth.add_listener(on_auth)
        core.build(identity)
        core.run()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await stop.wait()
            if core.link.state is not LinkState.CONNECTED and not stop.is_set():
                age = await core.engine.data_age()
                out.emit({"type": "stale", "age_s": None if age is None else round(age.total_seconds(), 1),
                          "at": _now()})
        return exit_code
    finally:
        await core.stop()


def refused_url(url: str) -> str | None:
    """Why ``--url`` is refused (plain http:// to another machine without machine policy's leave), or None.
    The settings are read only then: watch takes its server from the command line, not from them."""
    if not insecure_http(url):
        return None
    try:
        if Settings.load().value("allow_insecure_http"):
            return None
    except SettingsError as exc:
        return f"--url {url}: plain http:// needs machine policy, which cannot be read: {exc}"
    return f"--url {url}: {INSECURE_HTTP_PROBLEM}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logs.configure(args.log_level)
    refusal = refused_url(args.url)
    if refusal:
        print(f"tjv-desktop watch: {refusal}", file=sys.stderr)
        return 2
    return asyncio.run(watch(args, JsonLines()))
