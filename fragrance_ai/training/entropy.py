"""The entropy coefficient of PPO, annealed from exploration to exploitation."""

import math
from dataclasses import dataclass
from typing import Literal

Schedule = Literal["linear", "cosine", "exponential"]


@dataclass(frozen=True)
class EntropyScheduleConfig:
    """How the entropy bonus falls over training."""

    initial_entropy: float
    """Coefficient at the first step."""
    final_entropy: float
    """Coefficient from `decay_steps` on."""
    decay_steps: int
    """Steps over which the coefficient moves from initial to final."""
    schedule: Schedule = "linear"
    """Shape of the decay: straight line, half cosine, or geometric."""

    def __post_init__(self) -> None:
        if self.decay_steps < 1:
            raise ValueError(f"decay_steps must be at least 1, got {self.decay_steps}")
        if self.initial_entropy < 0 or self.final_entropy < 0:
            raise ValueError("entropy coefficients must be non-negative")
        if self.schedule not in ("linear", "cosine", "exponential"):
            raise ValueError(
                f"unknown schedule {self.schedule!r}: use linear, cosine or exponential"
            )
        if self.schedule == "exponential" and min(self.initial_entropy, self.final_entropy) <= 0:
            raise ValueError("an exponential schedule needs positive initial and final entropy")


class EntropyScheduler:
    """`.step()` returns the coefficient for the current step, then advances: the first
    call gives `initial_entropy`, call `decay_steps + 1` and later give `final_entropy`."""

    def __init__(self, config: EntropyScheduleConfig) -> None:
        self.config = config
        self.step_count = 0

    def value_at(self, step: int) -> float:
        c = self.config
        progress = min(max(step, 0) / c.decay_steps, 1.0)
        if c.schedule == "linear":
            return c.initial_entropy + (c.final_entropy - c.initial_entropy) * progress
        if c.schedule == "cosine":
            blend = 0.5 * (1.0 + math.cos(math.pi * progress))
            return c.final_entropy + (c.initial_entropy - c.final_entropy) * blend
        return c.initial_entropy * (c.final_entropy / c.initial_entropy) ** progress

    @property
    def value(self) -> float:
        """The coefficient the next `.step()` will return."""
        return self.value_at(self.step_count)

    def step(self) -> float:
        coefficient = self.value
        self.step_count += 1
        return coefficient

    def state_dict(self) -> dict[str, int]:
        return {"step_count": self.step_count}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.step_count = int(state["step_count"])
