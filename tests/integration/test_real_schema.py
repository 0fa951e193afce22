"""The migrations (pg_cron included) and the seed apply, as the Supabase CLI applies them, on a cluster
built from Supabase's own SQL: the shared check.sh, found at ../shared beside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.sandbox import make_data_root

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT.parent / "shared" / "supabase-real-schema" / "check.sh"


@pytest.mark.skipif(not CHECK.exists(), reason=f"the shared real-schema check is not at {CHECK}")
@pytest.mark.skipif(os.geteuid() != 0, reason="check.sh runs PostgreSQL as the postgres user: it needs root")
def test_migrations_and_seed_apply_on_the_real_supabase_schema_with_no_failure():
    work = make_data_root("tjv-realschema-")  # PostgreSQL runs as postgres and must reach it
    try:
        result = subprocess.run(["bash", str(CHECK), "--no-compare"], cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, "WORK": str(work / "run"), "USE_VENDORED": "1"}, timeout=900)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1] == "real-schema apply: 0 statements failed", result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0
    assert "preloaded pg_cron" in result.stdout  # the escalation job's extension was really there
    applied = [line for line in lines if line.startswith("20261206001")]
    assert len(applied) >= 2 and all(line.endswith(" 0 error(s)") for line in applied)
