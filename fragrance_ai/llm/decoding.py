"""Greedy decoding of a batch of prompts that open with one shared prefix, two ways.

Every brief prompt opens with the same system prompt and worked examples, some 560
tokens against 50 for the brief itself, so neither decoder prefills that prefix per
brief.

`SharedPrefixDecoder` (torch models): our own loop rather than `generate`, for what
`generate` does not do: the shared prefix's keys and values are held once for the whole
batch (the shared-prefix attention, below); the briefs are prefilled in groups of
similar length, so a short one is not padded out to the longest; and a row that has
finished leaves the batch, so later steps compute only the rows still writing instead of
padding the finished ones out to the longest reply.

`GenerateDecoder`: decoding through `generate`, for models whose attention cannot be
swapped for the shared-prefix attention (ONNX Runtime's). The prefix's keys and values
are computed once, and a copy handed to each batch leaves only the brief's own tokens
to prefill.

The shared-prefix attention: a cache that copies the prefix's keys and values into every
row makes each decode step read every copy again, and sized for the longest possible
reply, attend over positions no row has reached. Here the prefix's keys and values are
kept once per layer; all rows' queries meet them in one matrix product, and each row's
own keys and values (its brief and reply, a few dozen tokens) sit in a buffer per batch
that grows as the replies do. One softmax runs over both parts, so the result is the
attention over the whole row. The function is registered with transformers'
AttentionInterface and receives its state, a `RowsAttention`, through the model's
forward keyword arguments; transformers' own cache is not used (`use_cache=False`).
"""

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import transformers
from packaging.version import Version
from transformers import AttentionInterface, LogitsProcessorList, StoppingCriteriaList

from fragrance_ai.llm.reply_constraints import RowEnds, RowMatchers, RowsEnded, SchemaConstraint

# The shared-prefix attention.
ATTENTION_NAME = "shared_prefix"
STATE_ARGUMENT = "shared_prefix_rows"
_GROWTH = 64  # positions added to the rows' buffers whenever they fill


class RowsAttention:
    """One batch's keys and values: the prefix's (one copy, shared) and each row's own,
    in left-padded rows; `visible` marks each row's real tokens."""

    def __init__(
        self, layers: int, rows: int, prefix: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()
    ) -> None:
        self.prefix = list(prefix)  # per layer (keys, values): [kv_heads, prefix, head_dim]
        self.length = 0
        self.visible = torch.zeros(rows, 0, dtype=torch.bool)
        self._keys: list[torch.Tensor | None] = [None] * layers
        self._values: list[torch.Tensor | None] = [None] * layers
        self.mask = torch.zeros(rows, 1, 0, 0, dtype=torch.bool)
        self._grouped: dict[int, torch.Tensor] = {}

    @classmethod
    def joined(cls, parts: Sequence[tuple["RowsAttention", Sequence[int]]]) -> "RowsAttention":
        """One batch's state from parts prefilled apart, each over some of the batch's
        rows (their indices, together every row once); a shorter part is left-padded."""
        rows = sum(len(indices) for _, indices in parts)
        length = max(part.length for part, _ in parts)
        first = parts[0][0]
        joined = cls(len(first._keys), rows, first.prefix)
        joined.length = length
        joined.visible = torch.zeros(rows, length, dtype=torch.bool, device=first.visible.device)
        for part, indices in parts:
            joined.visible[list(indices), length - part.length :] = part.visible
        own = [(part.keys_values(), indices) for part, indices in parts]
        for layer in range(len(first._keys)):
            joined._keys[layer] = _right_aligned([(kv[layer][0], i) for kv, i in own], length)
            joined._values[layer] = _right_aligned([(kv[layer][1], i) for kv, i in own], length)
        return joined

    def keys_values(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the rows' own keys and values so far: [rows, kv_heads, length, dim]."""
        return [
            (k[:, :, : self.length].clone(), v[:, :, : self.length].clone())
            for k, v in zip(self._keys, self._values, strict=True)
            if k is not None and v is not None
        ]

    def extend(self, visible: torch.Tensor) -> None:
        """Before a forward over `visible.shape[1]` new tokens per row (False: padding)."""
        new = visible.shape[1]
        self.visible = torch.cat([self.visible, visible.bool()], dim=1)
        end = self.length + new
        seen = torch.arange(end, device=visible.device)
        at = torch.arange(self.length, end, device=visible.device)
        causal = seen[None, :] <= at[:, None]
        # A padding query sees itself at least, so no row of the softmax is empty.
        itself = seen[None, :] == at[:, None]
        self.mask = ((self.visible[:, None, :] & causal) | itself)[:, None]
        self._grouped = {}

    def grouped_mask(self, group: int) -> torch.Tensor:
        """The mask for `group` query heads stacked per key/value head; made once per
        forward, not once per layer."""
        if group not in self._grouped:
            self._grouped[group] = self.mask.repeat(1, 1, group, 1)
        return self._grouped[group]

    def advance(self) -> None:
        """After the forward: the new tokens' keys and values are in the buffers."""
        self.length = self.visible.shape[1]

    def keep(self, rows: torch.Tensor) -> None:
        """Only these rows (indices) go on; the others' buffers are dropped."""
        self.visible = self.visible[rows]
        self._keys = [None if k is None else k[rows] for k in self._keys]
        self._values = [None if v is None else v[rows] for v in self._values]

    def store(self, layer: int, keys: torch.Tensor, values: torch.Tensor) -> tuple[Any, Any]:
        """Write this forward's keys and values for `layer`; all of the row's so far back."""
        end = self.length + keys.shape[2]
        self._keys[layer] = _written(self._keys[layer], keys, self.length, end)
        self._values[layer] = _written(self._values[layer], values, self.length, end)
        k, v = self._keys[layer], self._values[layer]
        assert k is not None and v is not None
        return k[:, :, :end], v[:, :, :end]


def _right_aligned(
    pieces: Sequence[tuple[torch.Tensor, Sequence[int]]], length: int
) -> torch.Tensor:
    """Pieces of rows ([n, heads, own length, dim], with their row indices) in one new
    buffer, each ending at `length`, positions before it zero."""
    rows = sum(len(indices) for _, indices in pieces)
    _, heads, _, dim = pieces[0][0].shape
    buffer = pieces[0][0].new_zeros(rows, heads, length + _GROWTH, dim)
    for piece, indices in pieces:
        buffer[list(indices), :, length - piece.shape[2] : length] = piece
    return buffer


def _written(buffer: torch.Tensor | None, new: torch.Tensor, start: int, end: int) -> torch.Tensor:
    if buffer is None or buffer.shape[2] < end:
        rows, heads, _, dim = new.shape
        grown = new.new_zeros(rows, heads, end + _GROWTH, dim)
        if buffer is not None:
            grown[:, :, :start] = buffer[:, :, :start]
        buffer = grown
    buffer[:, :, start:end] = new
    return buffer


def shared_prefix_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention signature: query [rows, heads, new, dim], key and value
    [rows, kv_heads, new, dim] for the new tokens only; returns [rows, new, heads, dim].
    Other keyword arguments (a sliding window, say) are ignored: brief prompts are far
    shorter than any window of the supported models."""
    state: RowsAttention = kwargs[STATE_ARGUMENT]
    layer: int = module.layer_idx  # type: ignore[assignment]
    rows, heads, new, dim = query.shape
    kv_heads = key.shape[1]
    group = heads // kv_heads
    own_keys, own_values = state.store(layer, key, value)
    scale = scaling if scaling is not None else dim**-0.5
    # Heads that share a key/value head are stacked as extra queries: [rows, kv, group*new, dim].
    grouped = query.reshape(rows, kv_heads, group * new, dim) * scale
    own = grouped @ own_keys.transpose(-1, -2)
    own = own.masked_fill(~state.grouped_mask(group), float("-inf"))
    if state.prefix:
        prefix_keys, prefix_values = state.prefix[layer]
        size = prefix_keys.shape[1]
        # Every row's queries against the one prefix copy: one product per kv head.
        flat = grouped.transpose(0, 1).reshape(kv_heads, rows * group * new, dim)
        shared = (flat @ prefix_keys.transpose(-1, -2)).view(kv_heads, rows, group * new, size)
        weights = _softmax(torch.cat([shared.transpose(0, 1), own], dim=-1))
        on_prefix = weights[..., :size].transpose(0, 1).reshape(kv_heads, -1, size)
        out = (on_prefix @ prefix_values).view(kv_heads, rows, group * new, dim).transpose(0, 1)
        out = out + weights[..., size:] @ own_values
    else:
        out = _softmax(own) @ own_values
    return out.reshape(rows, heads, new, dim).transpose(1, 2).contiguous(), None


def _softmax(scores: torch.Tensor) -> torch.Tensor:
    # In float32 whatever the model's dtype, as transformers' eager attention does.
    return scores.softmax(dim=-1, dtype=torch.float32).to(scores.dtype)


AttentionInterface.register(ATTENTION_NAME, shared_prefix_attention)


# The shared-prefix decoder runs only the architectures whose decoder layers call their
# attention as the shared-prefix attention expects (rotary positions applied before it,
# grouped key/value heads, one cache slot per layer), checked token for token against
# `generate` on tiny random models of each (tests/unit/test_llm_decoding.py). Any other
# decodes through `generate`.
SHARED_PREFIX_ARCHITECTURES = frozenset({"llama", "qwen2", "mistral"})


def runs_shared_prefix(config: Any) -> bool:
    return config.model_type in SHARED_PREFIX_ARCHITECTURES


def _sliding_window(config: Any) -> int | None:
    """The attention window, if the model has one in force (Qwen2 turns its on by a flag)."""
    if config.model_type == "qwen2" and not getattr(config, "use_sliding_window", False):
        return None
    window: int | None = getattr(config, "sliding_window", None)
    return window


class SharedPrefixDecoder:
    """Owns the model's attention: it is switched to the shared-prefix attention, so every
    forward goes through `decode`."""

    def __init__(self, model: Any, prefix_ids: Sequence[int] = ()) -> None:
        if not runs_shared_prefix(model.config):
            raise ValueError(
                f"the shared-prefix decoder does not run {model.config.model_type!r} models "
                "(see SHARED_PREFIX_ARCHITECTURES); decode them with GenerateDecoder"
            )
        self._model = model
        self._window = _sliding_window(model.config)
        self._layers: int = model.config.num_hidden_layers
        model.set_attn_implementation(ATTENTION_NAME)
        self.prefix_ids = list(prefix_ids)
        self._prefix: list[tuple[torch.Tensor, torch.Tensor]] = []
        if self.prefix_ids:
            state = RowsAttention(self._layers, rows=1)
            ids = torch.tensor([self.prefix_ids], device=model.device)
            positions = torch.arange(len(self.prefix_ids), device=model.device)[None]
            with torch.inference_mode():
                self._forward(state, ids, torch.ones_like(ids, dtype=torch.bool), positions)
            self._prefix = [(keys[0], values[0]) for keys, values in state.keys_values()]

    def covers(self, rows: Sequence[Sequence[int]]) -> bool:
        return starts_every_row(self.prefix_ids, rows)

    @torch.inference_mode()
    def decode(
        self,
        rows: Sequence[Sequence[int]],
        pad_id: int,
        max_new_tokens: int,
        ends: RowEnds,
        matchers: RowMatchers | None = None,
    ) -> list[list[int]]:
        """Each row's new tokens, up to and including the one that ended it."""
        longest = max(len(row) for row in rows) + max_new_tokens
        if self._window is not None and longest > self._window:
            # The shared-prefix attention sees every position: past the window it would
            # differ from the model's own.
            raise ValueError(
                f"rows of up to {longest} tokens exceed the model's sliding window "
                f"({self._window}); the shared-prefix decoder attends to every position"
            )
        shared = self.covers(rows)
        start = len(self.prefix_ids) if shared else 0
        tails = [list(row[start:]) for row in rows]
        device = self._model.device
        state, logits, positions = self._prefill(tails, pad_id, start, shared)
        replies: list[list[int]] = [[] for _ in rows]
        writing = list(range(len(rows)))  # rows still in the batch, in batch order
        for step in range(max_new_tokens):
            if matchers is not None:
                logits = matchers.mask(logits, writing)
            chosen = logits.argmax(dim=-1).tolist()
            going = []
            for index, (row, token) in enumerate(zip(writing, chosen, strict=True)):
                replies[row].append(token)
                if not ends.ended(row, token):
                    if matchers is not None:
                        matchers.consume(row, token)
                    going.append(index)
            if not going or step + 1 == max_new_tokens:
                break
            if len(going) < len(writing):
                kept = torch.tensor(going, device=device)
                state.keep(kept)
                positions = positions[kept]
            writing = [writing[i] for i in going]
            ids = torch.tensor([[chosen[i]] for i in going], device=device)
            positions = positions + 1
            logits = self._forward(state, ids, torch.ones_like(ids, dtype=torch.bool), positions)
        return replies

    def _prefill(
        self, tails: Sequence[Sequence[int]], pad_id: int, start: int, shared: bool
    ) -> tuple[RowsAttention, torch.Tensor, torch.Tensor]:
        """Every row's own tokens through the model, rows of similar length together so
        a short brief is not padded out to the longest: the batch's state, each row's
        next-token logits, and each row's last position ([rows, 1])."""
        device = self._model.device
        parts: list[tuple[RowsAttention, list[int]]] = []
        logits: list[torch.Tensor] = []
        last: list[torch.Tensor] = []
        for group in _similar_lengths([len(tail) for tail in tails]):
            batch = left_padded([tails[i] for i in group], pad_id, device)
            ids, visible = batch.input_ids, batch.attention_mask.bool()
            # Positions count only real tokens, so each row continues the prefix where it ends.
            positions = (start + visible.long().cumsum(dim=1) - 1).clamp(min=start)
            state = RowsAttention(self._layers, len(group), self._prefix if shared else ())
            logits.append(self._forward(state, ids, visible, positions))
            last.append(positions[:, -1:])
            parts.append((state, group))
        order = torch.tensor([i for _, group in parts for i in group], device=device).argsort()
        state = parts[0][0] if len(parts) == 1 else RowsAttention.joined(parts)
        return state, torch.cat(logits)[order], torch.cat(last)[order]

    def _forward(
        self,
        state: RowsAttention,
        ids: torch.Tensor,
        visible: torch.Tensor,
        positions: torch.Tensor,
    ) -> torch.Tensor:
        """Logits for each row's next token; the new tokens' keys and values kept."""
        state.extend(visible)
        output = self._model(
            input_ids=ids,
            attention_mask=state.mask,
            position_ids=positions,
            use_cache=False,
            logits_to_keep=1,
            **{STATE_ARGUMENT: state},
        )
        state.advance()
        logits: torch.Tensor = output.logits[:, -1]
        return logits


def _similar_lengths(lengths: Sequence[int], slack: float = 1.25) -> list[list[int]]:
    """Row indices grouped by length, the shortest rows' group first; no row in a group
    is more than `slack` times as long as the group's shortest. Within a group, rows keep
    their batch order, so a batch of one group needs no reordering."""
    groups: list[list[int]] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        if groups and lengths[index] <= slack * lengths[groups[-1][0]]:
            groups[-1].append(index)
        else:
            groups.append([index])
    return [sorted(group) for group in groups]


# Decoding through `generate`. transformers 5 renamed generate's and forward's
# `past_key_values` to `cache`; the ONNX Runtime backend (optimum) still runs on
# transformers 4.
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
