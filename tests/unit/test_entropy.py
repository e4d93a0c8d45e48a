import itertools
import math

import pytest

from fragrance_ai.training.entropy import EntropyScheduleConfig, EntropyScheduler


def values(schedule: str, steps: int, initial: float = 0.1, final: float = 0.01) -> list[float]:
    scheduler = EntropyScheduler(EntropyScheduleConfig(initial, final, 10, schedule))  # type: ignore[arg-type]
    return [scheduler.step() for _ in range(steps)]


def test_linear_schedule_falls_in_equal_steps_then_holds() -> None:
    got = values("linear", 13)
    assert got[0] == pytest.approx(0.1)
    assert got[5] == pytest.approx(0.1 + (0.01 - 0.1) * 0.5)
    assert got[10:] == pytest.approx([0.01] * 3)


def test_cosine_schedule_is_half_way_at_half_time_and_flat_at_the_ends() -> None:
    got = values("cosine", 12)
    assert got[0] == pytest.approx(0.1)
    assert got[5] == pytest.approx(0.055)
    assert got[1] == pytest.approx(0.01 + 0.09 * 0.5 * (1 + math.cos(math.pi / 10)))
    assert got[10] == pytest.approx(0.01)


def test_exponential_schedule_is_geometric() -> None:
    got = values("exponential", 11)
    assert got[5] == pytest.approx(math.sqrt(0.1 * 0.01))
    ratios = [b / a for a, b in itertools.pairwise(got)]
    assert ratios == pytest.approx([0.1**0.1] * 10)


def test_state_dict_resumes_the_sequence() -> None:
    config = EntropyScheduleConfig(0.2, 0.0, 8, "cosine")
    first = EntropyScheduler(config)
    for _ in range(3):
        first.step()
    second = EntropyScheduler(config)
    second.load_state_dict(first.state_dict())
    assert [second.step() for _ in range(4)] == [first.step() for _ in range(4)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decay_steps": 0}, "decay_steps"),
        ({"schedule": "step"}, "unknown schedule"),
        ({"schedule": "exponential", "final_entropy": 0.0}, "exponential"),
    ],
)
def test_bad_settings_are_named(kwargs: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {
        "initial_entropy": 0.1,
        "final_entropy": 0.01,
        "decay_steps": 10,
        "schedule": "linear",
    } | kwargs
    with pytest.raises(ValueError, match=message):
        EntropyScheduleConfig(**settings)  # type: ignore[arg-type]
