"""Prometheus metrics: one registry per process (prometheus_client's default), the
metric definitions every process shares, and the small servers and refreshers that
expose them. Values that cost a round trip (job counts, consumer lag) are refreshed in
the background, so a scrape only renders numbers already in memory."""

from prometheus_client import REGISTRY

from fragrance_ai.metrics.exposition import metrics_view, registered_names
from fragrance_ai.metrics.rl import (
    RL_MEAN_EPISODE_REWARD,
    RL_MEAN_OBJECTIVE,
    RL_STEPS_PER_SECOND,
    RL_TRAINING_EPISODES,
)

__all__ = [
    "REGISTRY",
    "RL_MEAN_EPISODE_REWARD",
    "RL_MEAN_OBJECTIVE",
    "RL_STEPS_PER_SECOND",
    "RL_TRAINING_EPISODES",
    "metrics_view",
    "registered_names",
]
