"""The job store on PostgreSQL (asyncpg, plain SQL): jobs, events, outbox, leases, cache,
API keys and Idempotency-Key answers."""

from fragrance_ai.store.api_keys import ApiKey, Scope
from fragrance_ai.store.errors import (
    DatabaseUnavailableError,
    DuplicateJobError,
    JobNotFoundError,
    MigrationError,
    StoreError,
)
from fragrance_ai.store.idempotency import IdempotencyKeyUsedError, KeptAnswer
from fragrance_ai.store.job_store import JobStore
from fragrance_ai.store.jobs import JOB_ENDED_CHANNEL, JOB_EVENTS_CHANNEL
from fragrance_ai.store.migrate import migrate
from fragrance_ai.store.notify import Notifier, Wake
from fragrance_ai.store.outbox import OUTBOX_CHANNEL, OutboxMessage, OutboxRecord, Refusal
from fragrance_ai.store.pool import open_pool
from fragrance_ai.store.quotas import QuotaExceededError, WindowUse

__all__ = [
    "JOB_ENDED_CHANNEL",
    "JOB_EVENTS_CHANNEL",
    "OUTBOX_CHANNEL",
    "ApiKey",
    "DatabaseUnavailableError",
    "DuplicateJobError",
    "IdempotencyKeyUsedError",
    "JobNotFoundError",
    "JobStore",
    "KeptAnswer",
    "MigrationError",
    "Notifier",
    "OutboxMessage",
    "OutboxRecord",
    "QuotaExceededError",
    "Refusal",
    "Scope",
    "StoreError",
    "Wake",
    "WindowUse",
    "migrate",
    "open_pool",
]
