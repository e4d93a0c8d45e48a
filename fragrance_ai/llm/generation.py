"""One batched, greedy generate call over chat conversations."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from transformers import StoppingCriteriaList

from fragrance_ai.llm.loading import LoadedModel
from fragrance_ai.llm.metrics import LLM_BATCH_SIZE, LLM_INFERENCE_DURATION, LLM_TOKENS_GENERATED
from fragrance_ai.llm.prompt import Messages
from fragrance_ai.llm.stopping import JsonObjectClosed


@dataclass(frozen=True)
class Generation:
    """One reply: its text and how many new tokens it took."""

    text: str
    tokens: int


class BatchGenerate(Protocol):
    """Anything that answers a batch of conversations, in order, synchronously."""

    def __call__(self, conversations: Sequence[Messages]) -> list[Generation]: ...


class TransformersGenerator:
    """Left-padded batched greedy decoding with a loaded transformers model."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.name = loaded.spec.name
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.max_new_tokens = loaded.spec.max_new_tokens

    def __call__(self, conversations: Sequence[Messages]) -> list[Generation]:
        return self.generate(conversations, self.max_new_tokens)

    def generate(self, conversations: Sequence[Messages], max_new_tokens: int) -> list[Generation]:
        started = time.perf_counter()
        prompts = [
            self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        inputs = self.tokenizer(
            prompts, return_tensors="pt", padding=True, add_special_tokens=False
        ).to(self.model.device)
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
                stopping_criteria=StoppingCriteriaList(
                    [JsonObjectClosed(self.tokenizer, len(prompts))]
                ),
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        replies = [self._reply(row) for row in new_tokens]
        LLM_INFERENCE_DURATION.labels(model=self.name).observe(time.perf_counter() - started)
        LLM_BATCH_SIZE.labels(model=self.name).observe(len(conversations))
        LLM_TOKENS_GENERATED.labels(model=self.name).inc(sum(r.tokens for r in replies))
        return replies

    def _reply(self, row: torch.Tensor) -> Generation:
        ids = row.tolist()
        eos = self.model.generation_config.eos_token_id
        stops = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.pad_token_id}
        length = next((i for i, token in enumerate(ids) if token in stops), len(ids))
        text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
        return Generation(text=text, tokens=length)

    def warm_up(self) -> None:
        """One tiny generation, so the first real request does not pay for lazy set-up."""
        self.generate([[{"role": "user", "content": "Hello"}]], max_new_tokens=2)
