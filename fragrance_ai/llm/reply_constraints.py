"""What holds each reply of a batch while it is decoded: the schema it must keep to, and
its end as soon as its first JSON object closes (nothing after it is read).

Schema-constrained decoding: llguidance compiles a JSON schema into a grammar and
computes, per row and per step, the set of tokens that keep the reply inside it; this
logits processor applies that set to transformers' `generate`. A reply generated this
way always parses, so a small model no longer loses briefs to a missing brace or a key
repeated until the token limit.
"""

from collections.abc import Callable, Collection, Sequence
from typing import Any

import llguidance
import llguidance.hf
import llguidance.numpy
import torch
from transformers import LogitsProcessor, StoppingCriteria

_BITS = 32  # llguidance packs the allowed-token set 32 tokens to an int32


def grammar_tokenizer(
    tokenizer: Any, vocab_size: int, eos_ids: list[int] | None = None
) -> llguidance.LLTokenizer:
    """llguidance's view of a Hugging Face fast tokenizer; about a second, so once per model.
    `eos_ids` are the tokens that end a finished reply (default: the tokenizer's eos)."""
    return llguidance.hf.from_tokenizer(tokenizer, n_vocab=vocab_size, eos_token=eos_ids)


# Given a row's schema and its reply so far: a schema for the rest of the reply, or None
# while it cannot tell yet. Asked after every token until it answers.
Narrowing = Callable[[str, str], str | None]


class RowMatchers:
    """One matcher per row, fed the row's tokens as they are chosen; a row without a
    schema (None) is left free. With `narrowing`, a row's schema may be narrowed once by
    what the reply has written (its matcher rebuilt and fed the reply so far)."""

    def __init__(
        self,
        tokenizer: llguidance.LLTokenizer,
        schemas: Sequence[str | None],
        narrowing: Narrowing | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._schemas = list(schemas)
        self._matchers = [self._compiled(s) if s is not None else None for s in schemas]
        self._narrowing = narrowing
        self._written: dict[int, list[int]] = (
            {row: [] for row, s in enumerate(schemas) if s is not None} if narrowing else {}
        )
        self._bitmask = llguidance.numpy.allocate_token_bitmask(len(schemas), tokenizer.vocab_size)
        self._executor = llguidance.LLExecutor()

    def consume(self, row: int, token: int) -> None:
        matcher = self._matchers[row]
        if matcher is not None and not matcher.is_error():
            matcher.consume_token(token)
        if row in self._written:
            self._written[row].append(token)
            self._narrow(row)

    def _narrow(self, row: int) -> None:
        schema, written = self._schemas[row], self._written[row]
        assert schema is not None and self._narrowing is not None
        narrowed = self._narrowing(schema, self._tokenizer.decode_str(written))
        if narrowed is None:
            return
        del self._written[row]
        if narrowed == schema:
            return
        try:
            matcher = self._compiled(narrowed)
        except ValueError:
            return  # the row goes on under its first schema
        matcher.consume_tokens(written)
        if not matcher.is_error():
            self._schemas[row], self._matchers[row] = narrowed, matcher

    def _compiled(self, schema: str) -> llguidance.LLMatcher:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema)
        matcher = llguidance.LLMatcher(self._tokenizer, grammar)
        if matcher.is_error():
            raise ValueError(f"the reply schema does not compile: {matcher.get_error()}")
        return matcher

    def mask(self, scores: torch.Tensor, rows: Sequence[int]) -> torch.Tensor:
        """`scores[i]` (logits over the vocabulary) belong to row `rows[i]`; tokens its
        schema does not allow next are set to -inf."""
        # A finished row's matcher allows only end-of-sequence, which also ends the row. A
        # matcher in error (a token it could not take) leaves its row free: the reply is
        # validated afterwards like any other.
        constrained = [
            (matcher, index)
            for index, matcher in enumerate(self._matchers[row] for row in rows)
            if matcher is not None and not matcher.is_error()
        ]
        if not constrained:
            return scores
        bitmask = self._bitmask[: len(rows)]
        bitmask.fill(-1)  # all bits set: every token allowed on unconstrained rows
        llguidance.numpy.fill_next_token_bitmask_par(self._executor, constrained, bitmask)
        return scores.masked_fill(~_allowed(bitmask, scores), float("-inf"))


class SchemaConstraint(LogitsProcessor):
    """RowMatchers as a logits processor for transformers' `generate`, over all `rows`."""

    def __init__(self, matchers: RowMatchers, rows: int) -> None:
        self._matchers = matchers
        self._rows = range(rows)
        self._started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._started:
            for row, token in enumerate(input_ids[:, -1].tolist()):
                self._matchers.consume(row, token)
        self._started = True
        return self._matchers.mask(scores, self._rows)  # type: ignore[return-value]


def _allowed(bitmask: Any, scores: torch.Tensor) -> torch.Tensor:
    packed = torch.from_numpy(bitmask).to(scores.device)
    shifts = torch.arange(_BITS, dtype=torch.int32, device=scores.device)
    bits = (packed.unsqueeze(-1) >> shifts) & 1
    return bits.reshape(packed.shape[0], -1)[:, : scores.shape[1]].bool()


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
