"""Size and start-up time of the frozen one-folder build (packaging/README.md quotes these figures).

Measures the folder (bytes, files, the largest parts), then wall time and peak memory of
``tjv-desktop --version`` (interpreter start-up) and ``tjv-desktop --self-test`` (Qt, the translations and
the main window rendered offscreen), the first run and the median of the following ones. ``--build``
builds the app first and reports the build time; the Debian package and MSI sizes are reported when
they exist in ``dist/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from report import report  # noqa: E402


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd="/")
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def measure(cmd: list[str], runs: int, env: dict[str, str]) -> dict:
    samples = [timed(cmd, env) for _ in range(runs)]
    warm = [s for s, _ in samples[1:]] or [samples[0][0]]
    return {"first_s": round(samples[0][0], 3), "warm_median_s": round(statistics.median(warm), 3),
            "warm_max_s": round(max(warm), 3), "peak_rss_mb": round(max(m for _, m in samples), 1), "runs": runs}


def folder_figures(app: Path) -> dict:
    files = [p for p in app.rglob("*") if p.is_file() and not p.is_symlink()]
    parts: dict[str, int] = {}
    for p in files:
        rel = p.relative_to(app).parts
        key = "/".join(rel[:2]) if rel[0] == "_internal" and len(rel) > 2 else rel[0] if len(rel) == 1 else "/".join(rel[:2])
        parts[key] = parts.get(key, 0) + p.stat().st_size
    largest = sorted(parts.items(), key=lambda kv: -kv[1])[:6]
    return {"bytes": sum(p.stat().st_size for p in files), "mb": round(sum(p.stat().st_size for p in files) / 1e6),
            "files": len(files), "largest_mb": {k: round(v / 1e6, 1) for k, v in largest}}


def build(app: Path) -> float:
    """Builds the frozen one-folder app into ``app``'s folder (``packaging/build_frozen.py``, as
    ``make frozen``); returns the seconds it took."""
    spec = importlib.util.spec_from_file_location("build_frozen", REPO / "packaging" / "build_frozen.py")
    build_frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_frozen)
    started = time.monotonic()
    build_frozen.build(app.parent.resolve(), (REPO / "build" / "frozen").resolve())
    return round(time.monotonic() - started, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", type=Path, default=REPO / "dist" / "tjv-desktop")
    p.add_argument("--build", action="store_true", help="build the frozen app first (make frozen) and time it")
    p.add_argument("--runs", type=int, default=6, help="runs of each command (the first is reported apart)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    results: dict = {"machine": f"{os.cpu_count()} cores"}
    if args.build:
        results["build_s"] = build(args.app)
    exe = args.app / "tjv-desktop"
    if not exe.is_file():
        raise SystemExit(f"no frozen build at {args.app}: make frozen (or pass --build)")
    results["folder"] = folder_figures(args.app)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "QT_QPA_PLATFORM": "offscreen"}
    results["version"] = measure([str(exe), "--version"], args.runs, env)
    results["self_test"] = measure([str(exe), "--self-test"], args.runs, env)
    for kind, pattern in (("deb", "tjv-desktop_*.deb"), ("msi", "windows/tjv-desktop-*.msi")):
        found = sorted(args.app.parent.glob(pattern))
        if found:
            results[f"{kind}_mb"] = {f.name: round(f.stat().st_size / 1e6, 1) for f in found}
    report(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
