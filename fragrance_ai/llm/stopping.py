"""Stop a reply as soon as its first JSON object closes: nothing after it is read."""

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


class JsonObjectClosed(StoppingCriteria):
    """Per-row stop: a row is done when its first top-level JSON object is complete."""

    def __init__(self, tokenizer: Any, batch_size: int) -> None:
        self._tokenizer = tokenizer
        self._states = [_BraceState() for _ in range(batch_size)]
        self._done = [False] * batch_size

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        last = input_ids[:, -1].tolist()
        for row, token in enumerate(last):
            if not self._done[row]:
                self._done[row] = self._states[row].feed(self._tokenizer.decode([token]))
        return torch.tensor(self._done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]
