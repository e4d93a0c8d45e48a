"""Jobs: accepted at the door, routed by their events, followed by clients."""

from fragrance_ai.jobs.cancel import JobAlreadyFinishedError, cancel_job
from fragrance_ai.jobs.submit import Submission, submit_formulation, submit_training

__all__ = [
    "JobAlreadyFinishedError",
    "Submission",
    "cancel_job",
    "submit_formulation",
    "submit_training",
]
