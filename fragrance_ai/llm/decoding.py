"""Greedy decoding of a batch of prompts that open with one shared prefix (torch models).

Our own loop rather than `generate`, for what `generate` does not do: the shared
prefix's keys and values are held once for the whole batch (see shared_attention); the
briefs are prefilled in groups of similar length, so a short one is not padded out to
the longest; and a row that has finished leaves the batch, so later steps compute only
the rows still writing instead of padding the finished ones out to the longest reply.
"""

from collections.abc import Sequence
from typing import Any

import torch

from fragrance_ai.llm.generate_decoder import left_padded, starts_every_row
from fragrance_ai.llm.reply_constraints import RowEnds, RowMatchers
from fragrance_ai.llm.shared_attention import ATTENTION_NAME, STATE_ARGUMENT, RowsAttention

# The architectures whose decoder layers call their attention as the shared-prefix
# attention expects (rotary positions applied before it, grouped key/value heads, one
# cache slot per layer), checked token for token against `generate` on tiny random models
# of each (tests/unit/test_llm_decoding.py). Any other decodes through `generate`.
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
