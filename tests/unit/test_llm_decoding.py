"""The shared-prefix decoding loop against transformers' own attention and `generate`,
on a tiny random Llama with grouped key/value heads."""

from typing import Any

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fragrance_ai.llm.decoding import SharedPrefixDecoder, _similar_lengths

PREFIX = [5, 17, 33, 2, 90, 41, 8, 77, 12, 64]
# Rows 0 and 2 are prefilled together, row 2 left-padded by one; row 1 apart, then joined.
TAILS = [[3, 9, 100, 50], [21, 22, 23, 24, 25, 26, 27], [40, 41, 42, 43, 44]]
NEW_TOKENS = 8


def _tiny_llama() -> Any:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=128,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        initializer_range=0.3,  # sharp attention, so a wrong position or mask shows
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    return model


class _EndsAfter:
    """Row 0 ends after `count` tokens; the others run to the token limit."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0

    def ended(self, row: int, token: int) -> bool:
        if row != 0:
            return False
        self.taken += 1
        return self.taken >= self.count


def _reference(model: Any, row: list[int], new_tokens: int) -> list[int]:
    """transformers' generate with its stock attention, one row, no padding."""
    ids = torch.tensor([row])
    with torch.inference_mode():
        output = model.generate(ids, max_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    tokens: list[int] = output[0, len(row) :].tolist()
    return tokens


@pytest.fixture(scope="module")
def references() -> list[list[int]]:
    model = _tiny_llama()
    assert model.config._attn_implementation == "sdpa"
    return [_reference(model, PREFIX + tail, NEW_TOKENS) for tail in TAILS]


def test_rows_sharing_a_prefix_decode_as_generate_does_alone(
    references: list[list[int]],
) -> None:
    decoder = SharedPrefixDecoder(_tiny_llama(), PREFIX)
    rows = [PREFIX + tail for tail in TAILS]
    assert decoder.covers(rows)
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(99))
    assert replies == references


def test_without_a_shared_prefix_rows_are_left_padded_whole(
    references: list[list[int]],
) -> None:
    decoder = SharedPrefixDecoder(_tiny_llama())
    rows = [PREFIX + tail for tail in TAILS]
    assert not decoder.covers(rows)
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(99))
    assert replies == references


def test_a_finished_row_leaves_the_batch_and_the_others_go_on_unchanged(
    references: list[list[int]],
) -> None:
    decoder = SharedPrefixDecoder(_tiny_llama(), PREFIX)
    rows = [PREFIX + tail for tail in TAILS]
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(3))
    assert replies[0] == references[0][:3]
    assert replies[1:] == references[1:]


def test_briefs_of_similar_length_are_prefilled_together() -> None:
    assert _similar_lengths([len(tail) for tail in TAILS]) == [[0, 2], [1]]
    assert _similar_lengths([50, 48, 60, 200, 55]) == [[0, 1, 2, 4], [3]]
    assert _similar_lengths([7]) == [[0]]


def test_replies_longer_than_the_first_buffer_keep_their_keys_and_values() -> None:
    # The rows' buffers grow past their first size (tail plus 64 positions).
    reference_model = _tiny_llama()
    expected = _reference(reference_model, PREFIX + TAILS[0], 90)
    decoder = SharedPrefixDecoder(_tiny_llama(), PREFIX)
    replies = decoder.decode([PREFIX + TAILS[0]], pad_id=0, max_new_tokens=90, ends=_EndsAfter(99))
    assert replies == [expected]
