"""Attention over one shared prefix and each row's own tokens, the prefix held once.

Every brief prompt opens with the same ~560 tokens. A cache that copies their keys and
values into every row makes each decode step read every copy again, and sized for the
longest possible reply, attend over positions no row has reached. Here the prefix's
keys and values are kept once per layer; all rows' queries meet them in one matrix
product, and each row's own keys and values (its brief and reply, a few dozen tokens)
sit in a buffer per batch that grows as the replies do. One softmax runs over both
parts, so the result is the attention over the whole row.

The function is registered with transformers' AttentionInterface and receives its state,
a `RowsAttention`, through the model's forward keyword arguments; transformers' own cache
is not used (`use_cache=False`).
"""

from collections.abc import Sequence
from typing import Any

import torch
from transformers import AttentionInterface

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
