"""The shared-prefix decoding loop against transformers' own attention and `generate`,
on tiny random models of every architecture it runs (Llama, Qwen2, Mistral), with
grouped key/value heads; built from configs, so nothing is downloaded."""

from typing import Any

import pytest
import torch
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig, MistralConfig, Qwen2Config

from fragrance_ai.llm.decoding import (
    SHARED_PREFIX_ARCHITECTURES,
    GenerateDecoder,
    SharedPrefixDecoder,
    _similar_lengths,
    runs_shared_prefix,
)

PREFIX = [5, 17, 33, 2, 90, 41, 8, 77, 12, 64]
# Rows 0 and 2 are prefilled together, row 2 left-padded by one; row 1 apart, then joined.
TAILS = [[3, 9, 100, 50], [21, 22, 23, 24, 25, 26, 27], [40, 41, 42, 43, 44]]
NEW_TOKENS = 8


CONFIGS = {"llama": LlamaConfig, "qwen2": Qwen2Config, "mistral": MistralConfig}


@pytest.fixture(params=sorted(CONFIGS))
def architecture(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _tiny(architecture: str) -> Any:
    torch.manual_seed(0)
    config = CONFIGS[architecture](
        vocab_size=128,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        initializer_range=0.3,  # sharp attention, so a wrong position or mask shows
    )
    model = AutoModelForCausalLM.from_config(config).eval()
    if architecture == "qwen2":
        # Qwen2's query, key and value projections have biases, initialised to zero:
        # random ones, so a bias dropped by the shared-prefix attention shows.
        for name, parameter in model.named_parameters():
            if name.endswith("_proj.bias"):
                torch.nn.init.normal_(parameter, std=0.3)
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


@pytest.fixture
def references(architecture: str) -> list[list[int]]:
    model = _tiny(architecture)
    assert model.config._attn_implementation == "sdpa"
    return [_reference(model, PREFIX + tail, NEW_TOKENS) for tail in TAILS]


def test_every_architecture_tested_here_is_one_the_decoder_runs() -> None:
    assert set(CONFIGS) == SHARED_PREFIX_ARCHITECTURES


def test_rows_sharing_a_prefix_decode_as_generate_does_alone(
    architecture: str, references: list[list[int]]
) -> None:
    decoder = SharedPrefixDecoder(_tiny(architecture), PREFIX)
    rows = [PREFIX + tail for tail in TAILS]
    assert decoder.covers(rows)
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(99))
    assert replies == references


def test_without_a_shared_prefix_rows_are_left_padded_whole(
    architecture: str, references: list[list[int]]
) -> None:
    decoder = SharedPrefixDecoder(_tiny(architecture))
    rows = [PREFIX + tail for tail in TAILS]
    assert not decoder.covers(rows)
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(99))
    assert replies == references


def test_a_finished_row_leaves_the_batch_and_the_others_go_on_unchanged(
    architecture: str, references: list[list[int]]
) -> None:
    decoder = SharedPrefixDecoder(_tiny(architecture), PREFIX)
    rows = [PREFIX + tail for tail in TAILS]
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(3))
    assert replies[0] == references[0][:3]
    assert replies[1:] == references[1:]


def test_briefs_of_similar_length_are_prefilled_together() -> None:
    assert _similar_lengths([len(tail) for tail in TAILS]) == [[0, 2], [1]]
    assert _similar_lengths([50, 48, 60, 200, 55]) == [[0, 1, 2, 4], [3]]
    assert _similar_lengths([7]) == [[0]]


def test_replies_longer_than_the_first_buffer_keep_their_keys_and_values(
    architecture: str,
) -> None:
    # The rows' buffers grow past their first size (tail plus 64 positions).
    expected = _reference(_tiny(architecture), PREFIX + TAILS[0], 90)
    decoder = SharedPrefixDecoder(_tiny(architecture), PREFIX)
    replies = decoder.decode([PREFIX + TAILS[0]], pad_id=0, max_new_tokens=90, ends=_EndsAfter(99))
    assert replies == [expected]


def test_generate_with_the_prefix_cache_decodes_as_generate_does_alone(
    architecture: str, references: list[list[int]]
) -> None:
    # The path of every architecture the shared-prefix loop is not tested on.
    decoder = GenerateDecoder(_tiny(architecture), PREFIX)
    rows = [PREFIX + tail for tail in TAILS]
    assert decoder.covers(rows)
    replies = decoder.decode(rows, pad_id=0, max_new_tokens=NEW_TOKENS, ends=_EndsAfter(99))
    assert replies == references


def test_an_untested_architecture_is_refused_by_the_shared_prefix_loop() -> None:
    model = AutoModelForCausalLM.from_config(
        GPT2Config(vocab_size=128, n_embd=32, n_layer=1, n_head=2, n_positions=64)
    )
    assert not runs_shared_prefix(model.config)
    with pytest.raises(ValueError, match="'gpt2'"):
        SharedPrefixDecoder(model, PREFIX)


def test_rows_past_a_sliding_window_are_refused_not_decoded_wrongly() -> None:
    model = _tiny("mistral")
    model.config.sliding_window = 16
    decoder = SharedPrefixDecoder(model, PREFIX)
    with pytest.raises(ValueError, match="sliding window"):
        decoder.decode([PREFIX + TAILS[0]], pad_id=0, max_new_tokens=8, ends=_EndsAfter(99))
