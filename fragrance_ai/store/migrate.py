"""Versioned SQL migrations: ``migrations/NNNN_name.sql``, applied in order, once.

Each file runs in its own transaction together with its row in ``schema_migrations``,
so a failing file leaves nothing behind. A session-level advisory lock serialises
processes that migrate at the same time: the second waits, then finds nothing to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from fragrance_ai.store.errors import MigrationError

# Any fixed bigint works as long as nothing else uses it: the ASCII of "FRAGMIGR".
_ADVISORY_LOCK_ID = 0x46524147_4D494752
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"


def load_migrations() -> list[Migration]:
    """The migration files shipped with the package, in version order."""
    folder = resources.files("fragrance_ai.store").joinpath("migrations")
    entries = list(folder.iterdir()) if folder.is_dir() else []
    migrations = []
    for entry in entries:
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        migrations.append(Migration(match["version"], match["name"], entry.read_text()))
    if not migrations:
        raise MigrationError(
            f"no migration files in {folder}: the package was installed without"
            " fragrance_ai/store/migrations/*.sql (package data)"
        )
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {sorted(versions)}")
    return migrations


async def migrate(target: asyncpg.Pool | str) -> list[str]:
    """Apply the migrations ``target`` lacks; return their labels (``0001_initial``)."""
    if isinstance(target, str):
        conn = await asyncpg.connect(target)
        try:
            return await _migrate_on(conn)
        finally:
            await conn.close()
    async with target.acquire() as pooled:
        # The session-level advisory lock taken below is cleared on release too, even
        # where its unlock never ran.
        pooled.hold_session_state()
        return await _migrate_on(pooled)


async def _migrate_on(conn: asyncpg.Connection) -> list[str]:
    migrations = load_migrations()
    await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_ID)
    try:
        await conn.execute(_CREATE_LEDGER)
        done = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            await _apply(conn, migration)
            applied.append(migration.label)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _ADVISORY_LOCK_ID)


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
    except asyncpg.PostgresError as exc:
        raise MigrationError(f"migration {migration.label} failed: {exc}") from exc
