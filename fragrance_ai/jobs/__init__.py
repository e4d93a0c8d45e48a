"""Jobs: accepted at the door, routed by their events, followed by clients."""

from fragrance_ai.jobs.service import (
    JobAlreadyFinishedError,
    Submission,
    cancel_job,
    submit_formulation,
    submit_training,
)

__all__ = [
    "JobAlreadyFinishedError",
    "Submission",
    "cancel_job",
    "submit_formulation",
    "submit_training",
]
