"""Cold start of the station, as a clinician's workstation starts in the morning, to a populated census.

    .venv/bin/python benchmarks/cold_start.py [--app dist/tjv-desktop] [--build] [--no-source]
                                               [--patients 200] [--hours 72] [--runs 4] [--json PATH]

The workstation: a real Secret Service keyring (gnome-keyring on a private D-Bus, tests/support) holding
the nurse's refresh token (the session kept from yesterday) and the store key; the machine defaults an
installer writes pointing at a reachable server (a sandbox of its own, bare: the seed only); the nurse's
encrypted store file holding ``--patients`` patients with a vital-signs row a minute for ``--hours``
hours (200 × 72 h ≈ 864k rows, built as benchmarks/store_memory.py builds it, copied back before each run
so every run opens the same file). Each run starts ``tjv-desktop`` with no arguments and times from the
process start to the station's own INFO line ``census: N patients from the local store, window shown``
(written right after the window is shown, before the sync engine runs), then stops it with SIGTERM. The
app's other log lines give the steps: ``resumed the stored session`` (keyring and one refresh round trip)
and ``local store:`` (the file opened and checked).

Baselines in the same run: ``tjv-desktop --version`` (the interpreter and nothing else) and the same
start on a tiny store (the same patients with one hour of vitals), so the figure is also a ratio. The
frozen build (``--app``, ``--build`` builds it first) and, unless ``--no-source``, the same start from
source (``python -m tjv_desktop.app.cli``). Page cache warm: the first run of each kind is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from report import report  # noqa: E402

NURSE = "nurse@riverside.tjv.test"
CENSUS = re.compile(r"census: (\d+) patients from the local store")
STEPS = {"session_resumed_s": "resumed the stored session", "store_open_s": " local store: "}
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def log_instant(line: str) -> float | None:
    """The epoch seconds of a log line's asctime (local time, milliseconds)."""
    m = LOG_TIME.match(line)
    if not m:
        return None
    return time.mktime(datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timetuple()) + int(m.group(2)) / 1000


def start_once(cmd: list[str], env: dict[str, str], timeout: float = 120.0, wrap: list[str] = ()) -> dict:
    """One start: seconds to the census line (and to each step), the patients it lists; then SIGTERM
    (SIGINT to the whole group under a ``wrap`` profiler, which then writes its profile)."""
    started_wall, started = time.time(), time.perf_counter()
    proc = subprocess.Popen([*wrap, *cmd], env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    result: dict = {}
    lines: list[str] = []
    try:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            at = log_instant(line)
            for name, marker in STEPS.items():
                if marker in line and at is not None:
                    result.setdefault(name, round(at - started_wall, 3))
            if m := CENSUS.search(line):
                result["census_s"] = round(time.perf_counter() - started, 3)
                result["patients"] = int(m.group(1))
                break
    finally:
        if wrap:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    if "census_s" not in result:
        raise SystemExit(f"{' '.join(cmd)}: no census line\n{''.join(lines)[-3000:]}{proc.stderr.read()[-2000:]}")
    return result


def version_once(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([*cmd, "--version"], env=env, cwd="/", check=True, capture_output=True)
    return round(time.perf_counter() - started, 3)


def summary(samples: list) -> dict:
    """First run apart, then the median, min and max of the others (each a number or a dict of them)."""
    if isinstance(samples[0], dict):
        return {k: summary([s[k] for s in samples]) for k in samples[0] if isinstance(samples[0][k], float)} | (
            {"patients": samples[-1]["patients"]} if "patients" in samples[0] else {})
    warm = samples[1:] or samples
    return {"first": samples[0], "median": round(statistics.median(warm), 3), "min": min(warm), "max": max(warm)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", type=Path, default=REPO / "dist" / "tjv-desktop")
    p.add_argument("--build", action="store_true", help="build the frozen app first (make frozen)")
    p.add_argument("--no-source", action="store_true", help="only the frozen build")
    p.add_argument("--patients", type=int, default=200)
    p.add_argument("--hours", type=int, default=72)
    p.add_argument("--runs", type=int, default=4, help="starts of each kind (the first is reported apart)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--wrap", default="", help="a command prefix for every start, e.g. a profiler: "
                   "'py-spy record -o /tmp/{kind}-{store}.txt -f raw -r 250 --idle --threads --'")
    args = p.parse_args(argv)
    wrap = args.wrap.split()

    from store_memory import build as build_store

    from tests.support.sandbox import private_sandbox
    from tests.support.secret_service import private_secret_service
    from tjv_desktop.app.startup import store_file
    from tjv_desktop.backend.auth import identity_from_token
    from tjv_desktop.backend.vault import Vault

    results: dict = {"machine": f"{os.cpu_count()} cores", "patients": args.patients, "hours": args.hours,
                     "target_s": 1.5}
    if args.build:
        from frozen_app import build

        results["build_s"] = build(args.app)
    kinds = {}
    if (args.app / "tjv-desktop").is_file():
        kinds["frozen"] = [str(args.app / "tjv-desktop")]
    else:
        print(f"cold_start: no frozen build at {args.app} (make frozen, or --build): source only", file=sys.stderr)
    if not args.no_source:
        kinds["source"] = [sys.executable, "-m", "tjv_desktop.app.cli"]
    if not kinds:
        raise SystemExit("nothing to start")

    with private_sandbox("tjv-bench-cold-") as sandbox, private_secret_service("tjv-bench-cold-keyring-") as ring, \
            tempfile.TemporaryDirectory(prefix="tjv-bench-cold-") as scratch:
        folder = Path(scratch)
        tokens = sandbox.sign_in(NURSE)
        identity = identity_from_token(tokens["access_token"])
        vault = Vault(sandbox.url, backend=ring.backend)
        vault.save_refresh_token(tokens["refresh_token"])  # yesterday's session, kept in the keyring
        key = vault.store_key()
        assert key is not None, "the private keyring must hold the store key"
        defaults = folder / "defaults.json"  # what the installer writes: the server, preset by IT
        defaults.write_text(json.dumps({"server_url": sandbox.url, "anon_key": sandbox.anon_key}))
        env = {"PATH": "/usr/bin:/bin", **ring.env, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8",
               "TJV_DEFAULTS_FILE": str(defaults), "TJV_POLICY_FILE": str(folder / "no-policy.json"),
               "TJV_USER_SETTINGS_FILE": str(folder / "no-user-settings.json"),
               # no sound server here: the alarm-tone player says so and the station runs silently
               "PULSE_SERVER": "unix:/nonexistent/tjv-bench-cold-no-sound"}
        source_env = {**env, "PYTHONPATH": str(REPO)}
        store = store_file(Path(ring.env["XDG_DATA_HOME"]) / "tjv-desktop" / "store", sandbox.url, identity.user_id)
        store.parent.mkdir(parents=True, mode=0o700)
        pristine = {}
        for name, hours in (("tiny", 1), ("full", args.hours)):
            pristine[name] = folder / f"{name}.sqlite"
            results[f"store_{name}"] = build_store(pristine[name], key, args.patients, hours)

        def put(name: str) -> None:
            for suffix in ("-wal", "-shm"):
                Path(f"{store}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(pristine[name], store)

        samples: dict[str, dict[str, list]] = {k: {"version": [], "tiny": [], "full": []} for k in kinds}
        for _ in range(args.runs):  # interleaved, so a burst of load on the shared machine hits every kind
            for kind, cmd in kinds.items():
                run_env = source_env if kind == "source" else env
                samples[kind]["version"].append(version_once(cmd, run_env))
                for name in ("tiny", "full"):
                    put(name)
                    samples[kind][name].append(start_once(
                        cmd, run_env, wrap=[w.format(kind=kind, store=name) for w in wrap]))
        for kind in kinds:
            out = {"version_s": summary(samples[kind]["version"]),
                   "tiny_store": summary(samples[kind]["tiny"]), "full_store": summary(samples[kind]["full"])}
            full, tiny, version = (out["full_store"]["census_s"]["median"], out["tiny_store"]["census_s"]["median"],
                                   out["version_s"]["median"])
            out["census_over_tiny_store"] = round(full / tiny, 2)
            out["census_over_version"] = round(full / version, 1)
            out["target_met"] = full <= results["target_s"]
            results[kind] = out
        results["server"] = "sandbox on loopback, reachable (seed only); the session resumed from the keyring"
    report(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
