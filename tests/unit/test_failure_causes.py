"""Failures sorted by cause: what another attempt may cure, and the waits between attempts."""

from __future__ import annotations

import socket

import asyncpg
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NotLeaderForPartitionError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from brokers.failures import is_transient
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.store import DatabaseUnavailableError

TRANSIENT = [
    # SQLSTATE class 08, connection exception
    asyncpg.ConnectionDoesNotExistError("connection was closed"),
    asyncpg.ConnectionFailureError("connection failure"),
    # class 40, transaction rollback
    asyncpg.SerializationError("could not serialize access"),
    asyncpg.DeadlockDetectedError("deadlock detected"),
    # class 53, insufficient resources
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    # 57P01-57P03: the server shutting down or starting up
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.CrashShutdownError("terminating connection due to crash"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    # the client's side of a lost connection
    asyncpg.InterfaceError("cannot perform operation: connection is closed"),
    # Kafka errors marked retriable, and a send timing out while the broker is away
    KafkaConnectionError("connection refused"),
    NotLeaderForPartitionError(),
    UnknownTopicOrPartitionError(),
    KafkaTimeoutError(),
    # the network
    ConnectionRefusedError("connect call failed"),
    TimeoutError(),
    socket.gaierror("Name or service not known"),
]

PERMANENT = [
    asyncpg.UniqueViolationError("duplicate key value"),  # class 23
    asyncpg.InvalidTextRepresentationError("invalid input syntax"),  # class 22
    asyncpg.UndefinedTableError('relation "jobs" does not exist'),  # class 42
    asyncpg.QueryCanceledError("canceling statement due to statement timeout"),  # 57014
    asyncpg.InvalidPasswordError("password authentication failed"),  # class 28
    RecordTooLargeError(),
    TopicAuthorizationFailedError(),
    FileNotFoundError("no such checkpoint"),
    ValueError("bad weights"),
    RuntimeError("the model refused"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: type(e).__name__)
def test_a_passing_state_of_a_dependency_is_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_a_failure_another_try_would_repeat_is_permanent(error: BaseException) -> None:
    assert not is_transient(error)


@pytest.mark.parametrize(
    ("cause", "transient"),
    [
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.InvalidPasswordError("password authentication failed"), False),
    ],
)
def test_a_wrapping_error_is_judged_by_its_cause(cause: BaseException, transient: bool) -> None:
    try:
        raise DatabaseUnavailableError("cannot connect to the database") from cause
    except DatabaseUnavailableError as wrapped:
        assert is_transient(wrapped) is transient


def test_the_backoff_doubles_up_to_its_cap_and_half_of_each_wait_is_random() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_s=2.0, backoff_max_s=10.0)

    least = [policy.delay_s(failed, draw=lambda: 0.0) for failed in range(1, 6)]
    most = [policy.delay_s(failed, draw=lambda: 1.0) for failed in range(1, 6)]

    assert least == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert most == [2.0, 4.0, 8.0, 10.0, 10.0]
