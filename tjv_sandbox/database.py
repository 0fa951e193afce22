"""Prepares the sandbox database: Supabase-compatible bootstrap, then supabase/migrations, then the seed.

Migrations are applied in file-name order and recorded in supabase_migrations.schema_migrations, as the
Supabase CLI does, so a second start applies only new files. The seed runs once per content hash.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources
from pathlib import Path

import asyncpg

from .realtime.partitions import maintain as maintain_message_partitions

log = logging.getLogger(__name__)


class SchemaError(RuntimeError):
    """A migration or the seed failed; names the file and PostgreSQL's message."""


def project_supabase_dir() -> Path:
    """The repository's supabase/ folder (next to the package in a checkout or a frozen build)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "supabase" / "migrations"
        if candidate.is_dir():
            return candidate.parent
    raise SchemaError("supabase/migrations not found next to the tjv_sandbox package")


def bootstrap_sql() -> str:
    return resources.files("tjv_sandbox").joinpath("sql/bootstrap.sql").read_text()


async def _run_file(conn: asyncpg.Connection, path: Path, sql: str) -> None:
    try:
        async with conn.transaction():
            await conn.execute(sql)
    except asyncpg.PostgresError as exc:
        detail = f" ({exc.detail})" if getattr(exc, "detail", None) else ""
        raise SchemaError(f"{path.name}: {exc.__class__.__name__}: {exc}{detail}") from exc


async def prepare_database(dsn: str, supabase_dir: Path | None = None, seed: bool = True) -> list[str]:
    """Bring the database at ``dsn`` (a superuser) up to date. Returns the migrations applied now."""
    supabase_dir = supabase_dir or project_supabase_dir()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(bootstrap_sql())
        # before the migrations and the seed, whose triggers already send database broadcasts
        await maintain_message_partitions(conn)
        applied = {r["version"] for r in await conn.fetch("select version from supabase_migrations.schema_migrations")}
        newly: list[str] = []
        for path in sorted((supabase_dir / "migrations").glob("*.sql")):
            version, _, name = path.stem.partition("_")
            if version in applied:
                continue
            sql = path.read_text()
            await _run_file(conn, path, sql)
            await conn.execute(
                "insert into supabase_migrations.schema_migrations(version, name, statements) values ($1, $2, $3)",
                version, name, [sql],
            )
            newly.append(path.name)
            log.info("applied migration %s", path.name)
        seed_file = supabase_dir / "seed.sql"
        if seed and seed_file.exists():
            sql = seed_file.read_text()
            digest = hashlib.sha256(sql.encode()).hexdigest()
            done = await conn.fetchval(
                "select hash from supabase_migrations.seed_files where path = $1", seed_file.name
            )
            if done is None:
                await _run_file(conn, seed_file, sql)
                await conn.execute(
                    "insert into supabase_migrations.seed_files(path, hash) values ($1, $2)", seed_file.name, digest
                )
                log.info("applied seed %s", seed_file.name)
            elif done != digest:
                log.warning("seed.sql changed since it was applied; the sandbox keeps its data (use a new --data-dir)")
        return newly
    finally:
        await conn.close()
