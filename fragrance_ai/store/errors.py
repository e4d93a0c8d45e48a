"""What can go wrong in the job store, named for the caller."""

from uuid import UUID


class StoreError(Exception):
    """Base of the job store's errors."""


class DatabaseUnavailableError(StoreError):
    """The database cannot be reached."""


class JobNotFoundError(StoreError, LookupError):
    def __init__(self, job_id: UUID):
        super().__init__(f"no job with id {job_id}")
        self.job_id = job_id


class DuplicateJobError(StoreError):
    def __init__(self, job_id: UUID):
        super().__init__(f"a job with id {job_id} already exists")
        self.job_id = job_id


class MigrationError(StoreError):
    """The migration files are inconsistent, or one of them failed."""
