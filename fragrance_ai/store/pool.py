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


async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """``asyncpg.connect``, with a missing Unix socket reported as ConnectionRefusedError.

    A server listening on a Unix socket (the embedded one, or any local PostgreSQL)
    removes the socket's file while it stops, so a connection tried during a restart
    fails with FileNotFoundError where TCP would give ConnectionRefusedError. Both mean
    "the server is not there right now"; only the second is judged transient by the
    retry policy, so a restart dead-lettered the messages it caught."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except FileNotFoundError as exc:
        raise ConnectionRefusedError(exc.errno, f"the database's socket is missing: {exc}") from exc


class SessionAwareConnection(asyncpg.Connection):
    """A connection that knows whether it holds session state: a LISTEN, or a
    session-level advisory lock (`hold_session_state`). Only such a connection pays for
    asyncpg's reset query (`UNLISTEN *`, `pg_advisory_unlock_all()`, `RESET ALL`, `CLOSE
    ALL`) when it goes back to its pool: the rest set none (every query here runs in a
    statement or transaction of its own), and the query was a round trip on every
    release, about half of an API process's round trips."""

    holds_session_state = False

    def hold_session_state(self) -> None:
        self.holds_session_state = True

    async def add_listener(self, channel: str, callback: Any) -> None:
        self.hold_session_state()
        await super().add_listener(channel, callback)


async def reset_session_state(conn: asyncpg.Connection) -> None:
    """The pool's reset, after asyncpg has rolled back any open transaction and dropped
    the listener callbacks: the server-side session state, where any was taken."""
    if isinstance(conn, SessionAwareConnection) and not conn.holds_session_state:
        return
    await conn.execute(conn.get_reset_query())
    if isinstance(conn, SessionAwareConnection):
        conn.holds_session_state = False


class BoundedPool(asyncpg.Pool):
    """A pool whose every acquire, its own query methods' included, gives up after
    ``acquire_timeout_s`` with TimeoutError: a pool drained by stuck work then fails the
    requests that wait on it, clearly, instead of holding them without end."""

    def __init__(self, *args: Any, acquire_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout_s = acquire_timeout_s

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout_s if timeout is None else timeout)


async def open_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    command_timeout_s: float = 30.0,
    acquire_timeout_s: float = 10.0,
) -> asyncpg.Pool:
    """A pool on ``url``; one listener connection comes on top of ``max_size`` if used.

    Ten connections serve an API process and its outbox relay; workers need fewer.
    """
    # asyncpg.create_pool's own defaults, for the pool class it cannot be given.
    pool = BoundedPool(
        url,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        connect=connect,
        setup=None,
        init=register_json_codecs,
        reset=reset_session_state,
        loop=None,
        connection_class=SessionAwareConnection,
        record_class=asyncpg.Record,
        command_timeout=command_timeout_s,
        acquire_timeout_s=acquire_timeout_s,
    )
    try:
        await pool
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailableError(f"cannot connect to the database: {exc}") from exc
    return pool
