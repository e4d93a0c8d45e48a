"""The job store on PostgreSQL (asyncpg, plain SQL): jobs, events, outbox, leases, cache."""

from fragrance_ai.store.errors import (
    DatabaseUnavailableError,
    DuplicateJobError,
    JobNotFoundError,
    MigrationError,
    StoreError,
)
from fragrance_ai.store.events import JOB_EVENTS_CHANNEL
from fragrance_ai.store.job_store import JobStore
from fragrance_ai.store.migrate import migrate
from fragrance_ai.store.notify import Notifier, Wake
from fragrance_ai.store.outbox import OUTBOX_CHANNEL, OutboxMessage, OutboxRecord
from fragrance_ai.store.pool import open_pool

__all__ = [
    "JOB_EVENTS_CHANNEL",
    "OUTBOX_CHANNEL",
    "DatabaseUnavailableError",
    "DuplicateJobError",
    "JobNotFoundError",
    "JobStore",
    "MigrationError",
    "Notifier",
    "OutboxMessage",
    "OutboxRecord",
    "StoreError",
    "Wake",
    "migrate",
    "open_pool",
]
