"""A formula's percentages are rounded to PERCENT_DECIMALS and sum to exactly 100."""

from hypothesis import given
from hypothesis import strategies as st

from fragrance_ai.objective.assemble import PERCENT_DECIMALS, rounded_to_100

UNIT = 10**PERCENT_DECIMALS


def test_rounding_leaves_a_material_held_at_its_dose_where_it_is() -> None:
    # Rounded one by one these sum to 100.0002; the whole residual on the largest
    # material would take it to 39.9998, below a dose of 40.
    percents = {"held": 40.0, **{f"m{i}": 9.99996 for i in range(6)}, "trace": 0.00024}
    rounded = rounded_to_100(percents)
    assert rounded["held"] == 40.0
    assert sum(round(p * UNIT) for p in rounded.values()) == 100 * UNIT


@given(st.lists(st.floats(min_value=1e-3, max_value=1e3), min_size=1, max_size=30))
def test_each_share_is_rounded_down_or_up_and_they_sum_to_100(amounts: list[float]) -> None:
    percents = {f"m{i}": amount for i, amount in enumerate(amounts)}
    rounded = rounded_to_100(percents)
    total = sum(amounts)
    assert sum(round(p * UNIT) for p in rounded.values()) == 100 * UNIT
    for i, amount in percents.items():
        assert abs(rounded[i] - 100.0 * amount / total) < 1.0 / UNIT + 1e-9
