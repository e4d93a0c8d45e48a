"""Integers as JSON Schema has them: 17 and 17.0 are integers, `true` and `"17"` are not
(pydantic's lax mode would take both; its strict mode would refuse 17.0)."""

from typing import Annotated, Any

from pydantic import BeforeValidator


def _a_number(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a JSON integer, not a boolean or a string")
    return value


JsonInt = Annotated[int, BeforeValidator(_a_number)]
