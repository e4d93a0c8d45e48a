"""Stop a reply as soon as its first JSON object closes: nothing after it is read."""

from collections.abc import Collection
from typing import Any

import torch
from transformers import StoppingCriteria


class _BraceState:
    """Brace depth outside JSON strings, fed one token's text at a time."""

    def __init__(self) -> None:
        self.depth = 0
        self.opened = False
        self.in_string = False
        self.escaped = False

    def feed(self, text: str) -> bool:
        """True once the first object has closed."""
        for ch in text:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
                continue
            if ch == '"':
                self.in_string = self.opened
            elif ch == "{":
                self.depth, self.opened = self.depth + 1, True
            elif ch == "}" and self.opened:
                self.depth -= 1
                if self.depth == 0:
                    return True
        return False


class RowEnds:
    """Per row: a row ends at an end-of-turn token or when its first top-level JSON object
    is complete."""

    def __init__(self, tokenizer: Any, rows: int, stop_ids: Collection[int]) -> None:
        self._tokenizer = tokenizer
        self._stop_ids = set(stop_ids)
        self._states = [_BraceState() for _ in range(rows)]

    def ended(self, row: int, token: int) -> bool:
        """Whether the row is done once it has taken `token`."""
        return token in self._stop_ids or self._states[row].feed(self._tokenizer.decode([token]))


class RowsEnded(StoppingCriteria):
    """RowEnds as a stopping criterion for transformers' `generate`."""

    def __init__(self, ends: RowEnds, rows: int) -> None:
        self._ends = ends
        self._done = [False] * rows

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        for row, token in enumerate(input_ids[:, -1].tolist()):
            self._done[row] = self._done[row] or self._ends.ended(row, token)
        done = torch.tensor(self._done, dtype=torch.bool, device=input_ids.device)
        return done  # type: ignore[return-value]
