"""Connection pools with JSON columns decoded by orjson."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from fragrance_ai.store.errors import DatabaseUnavailableError


def _encode_json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def register_json_codecs(conn: asyncpg.Connection) -> None:
    """Let jsonb and json columns take and give Python dicts and lists."""
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def open_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, command_timeout_s: float = 30.0
) -> asyncpg.Pool:
    """A pool on ``url``; one listener connection comes on top of ``max_size`` if used.

    Ten connections serve an API process and its outbox relay; workers need fewer.
    """
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout_s,
            init=register_json_codecs,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailableError(f"cannot connect to the database: {exc}") from exc
    assert pool is not None
    return pool
