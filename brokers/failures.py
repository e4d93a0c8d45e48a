"""Which failures are worth another attempt, by their cause.

A failure is transient when the same message may well succeed a little later: the
database restarting or out of connections, a deadlock or serialization conflict, a
broker whose error says it is retriable, the network. Anything else (bad data, a
constraint, a missing table, a record too large for the broker) fails the same way
every time, so retrying it only delays the dead letter.
"""

from __future__ import annotations

import socket

import asyncpg
from aiokafka.errors import KafkaError, KafkaTimeoutError

TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53"})
"""Connection exception; transaction rollback (40001 serialization, 40P01 deadlock);
insufficient resources (53300 too many connections, 53100 disk full, 53200 memory)."""

TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
"""Admin shutdown, crash shutdown, cannot connect now: a server restarting. The rest of
class 57 (a query cancelled on request or by a timeout) is not a passing state."""

NETWORK_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, socket.gaierror)
"""Refused, reset or timed out, or a name not resolved yet: the other end is restarting."""


def is_transient(exc: BaseException) -> bool:
    """True when another attempt may succeed; an error wrapping another (raised `from`
    it) is judged by its cause when it says nothing itself."""
    verdict = _verdict(exc)
    if verdict is None and exc.__cause__ is not None:
        return is_transient(exc.__cause__)
    return bool(verdict)


def _verdict(exc: BaseException) -> bool | None:
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(exc, asyncpg.PostgresError) and isinstance(sqlstate, str):
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES or sqlstate in TRANSIENT_SQLSTATES
    if isinstance(exc, KafkaTimeoutError):
        # aiokafka marks it not retriable, yet it is what a send raises while the
        # broker is paused or electing a leader: a wait, not a verdict on the message.
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    if isinstance(exc, asyncpg.InterfaceError):
        # The client's side of a lost connection: closed, or its pool closing.
        return True
    if isinstance(exc, NETWORK_ERRORS):
        return True
    return None
