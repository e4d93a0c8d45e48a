"""Decoding through `generate`, reusing the key/value cache of a prefix every prompt shares.

For models whose attention cannot be swapped for the shared-prefix attention (ONNX
Runtime's). Every brief prompt opens with the same system prompt and worked examples,
some 560 tokens against 50 for the brief itself. Computing their keys and values once,
and handing a copy to each batch, leaves only the brief's own tokens to prefill.
"""

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import transformers
from packaging.version import Version
from transformers import LogitsProcessorList, StoppingCriteriaList

from fragrance_ai.llm.reply_constraints import RowEnds, RowMatchers, RowsEnded, SchemaConstraint

# transformers 5 renamed generate's and forward's `past_key_values` to `cache`; the ONNX
# Runtime backend (optimum) still runs on transformers 4.
CACHE_ARGUMENT = "cache" if Version(transformers.__version__).major >= 5 else "past_key_values"


@dataclass(frozen=True)
class BatchInputs:
    """What `generate` takes for one batch; `prefix_cache` holds the shared prefix's keys
    and values, one copy per row (ONNX Runtime's tuples)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    prefix_cache: Any = None

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
        }
        if self.prefix_cache is not None:
            kwargs[CACHE_ARGUMENT] = self.prefix_cache
        return kwargs


def left_padded(rows: Sequence[Sequence[int]], pad_id: int, device: Any) -> BatchInputs:
    """Rows right-aligned, so every row's next token follows its own last one."""
    width = max(len(row) for row in rows)
    ids = [[pad_id] * (width - len(row)) + list(row) for row in rows]
    mask = [[0] * (width - len(row)) + [1] * len(row) for row in rows]
    return BatchInputs(_tensor(ids, device), _tensor(mask, device))


def starts_every_row(prefix_ids: Sequence[int], rows: Sequence[Sequence[int]]) -> bool:
    """Whether every row starts with the (non-empty) prefix and has tokens of its own after it."""
    size = len(prefix_ids)
    return size > 0 and all(
        len(row) > size and list(row[:size]) == list(prefix_ids) for row in rows
    )


class PrefixCache:
    """The prefix's keys and values, computed once; rows that start with it reuse them."""

    def __init__(self, model: Any, prefix_ids: Sequence[int]) -> None:
        self.prefix_ids = list(prefix_ids)
        self._device = model.device
        with torch.inference_mode():
            ids = _tensor([self.prefix_ids], self._device)
            output = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True)
        self._cache = getattr(output, CACHE_ARGUMENT)

    def covers(self, rows: Sequence[Sequence[int]]) -> bool:
        return starts_every_row(self.prefix_ids, rows)

    def inputs(self, rows: Sequence[Sequence[int]], pad_id: int) -> BatchInputs:
        """Prefix, then padding, then each row's own tokens: positions count only the tokens
        the mask keeps, so each row continues the cached prefix where it ends."""
        size = len(self.prefix_ids)
        tails = [list(row[size:]) for row in rows]
        width = max(len(tail) for tail in tails)
        ids = [self.prefix_ids + [pad_id] * (width - len(t)) + t for t in tails]
        mask = [[1] * size + [0] * (width - len(t)) + [1] * len(t) for t in tails]
        cache = self._copy(len(rows))
        return BatchInputs(_tensor(ids, self._device), _tensor(mask, self._device), cache)

    def _copy(self, rows: int) -> Any:
        """The prefix once per row, fresh for each batch: generate extends what it is given.
        A torch model's is transformers' own cache object; ONNX Runtime's, per layer a
        (key, value) pair of [rows, heads, length, dim]."""
        if hasattr(self._cache, "batch_repeat_interleave"):
            cache = copy.deepcopy(self._cache)
            cache.batch_repeat_interleave(rows)
            return cache
        return tuple(
            tuple(t.repeat_interleave(rows, dim=0) for t in layer) for layer in self._cache
        )


class GenerateDecoder:
    """Greedy `generate` over left-padded rows, the prefix's cache reused when they share it."""

    def __init__(self, model: Any, prefix_ids: Sequence[int] = ()) -> None:
        self._model = model
        self.prefix_ids = list(prefix_ids)
        self._cache = PrefixCache(model, prefix_ids) if prefix_ids else None

    def covers(self, rows: Sequence[Sequence[int]]) -> bool:
        return self._cache is not None and self._cache.covers(rows)

    def decode(
        self,
        rows: Sequence[Sequence[int]],
        pad_id: int,
        max_new_tokens: int,
        ends: RowEnds,
        matchers: RowMatchers | None = None,
    ) -> list[list[int]]:
        """Each row's new tokens; a row that ended early is padded with `pad_id`."""
        if self._cache is not None and self._cache.covers(rows):
            batch = self._cache.inputs(rows, pad_id)
        else:
            batch = left_padded(rows, pad_id, self._model.device)
        processors = [SchemaConstraint(matchers, len(rows))] if matchers is not None else []
        with torch.inference_mode():
            output = self._model.generate(
                **batch.as_kwargs(),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                disable_compile=True,  # a first request must not wait for a compilation
                pad_token_id=pad_id,
                logits_processor=LogitsProcessorList(processors),
                stopping_criteria=StoppingCriteriaList([RowsEnded(ends, len(rows))]),
            )
        new_tokens: list[list[int]] = output[:, batch.input_ids.shape[1] :].tolist()
        return new_tokens


def _tensor(rows: list[list[int]], device: Any) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.long, device=device)
