"""Jobs: accepted at the door, routed by their events, followed by clients."""

from fragrance_ai.jobs.submit import submit_formulation

__all__ = ["submit_formulation"]
