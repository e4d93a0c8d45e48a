"""PPO's entropy schedule under the name the product's documents promise; it lives in
`fragrance_ai.training.entropy`."""

from fragrance_ai.training.entropy import EntropyScheduleConfig, EntropyScheduler

__all__ = ["EntropyScheduleConfig", "EntropyScheduler"]
