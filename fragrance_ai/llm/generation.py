"""One batched, greedy generate call over chat prompts."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from transformers import LogitsProcessorList, StoppingCriteriaList

from fragrance_ai.llm.grammar import SchemaConstraint, grammar_tokenizer
from fragrance_ai.llm.loading import LoadedModel
from fragrance_ai.llm.metrics import LLM_BATCH_SIZE, LLM_INFERENCE_DURATION, LLM_TOKENS_GENERATED
from fragrance_ai.llm.prefix import BatchInputs, PrefixCache, left_padded
from fragrance_ai.llm.prompt import Messages, Prompt
from fragrance_ai.llm.stopping import JsonObjectClosed


@dataclass(frozen=True)
class Generation:
    """One reply: its text and how many new tokens it took."""

    text: str
    tokens: int


class BatchGenerate(Protocol):
    """Anything that answers a batch of prompts, in order, synchronously."""

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]: ...


class TransformersGenerator:
    """Batched greedy decoding with a loaded model: the shared prefix's cache reused when
    `shared` is given, each reply held to its prompt's schema when the spec asks for it."""

    def __init__(self, loaded: LoadedModel, shared: Messages | None = None) -> None:
        self.spec = loaded.spec
        self.name = loaded.spec.name
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.max_new_tokens = loaded.spec.max_new_tokens
        self._grammar_tokenizer = (
            grammar_tokenizer(self.tokenizer, self.model.config.vocab_size, self._eos_ids())
            if loaded.spec.constrained_decoding
            else None
        )
        self.prefix: PrefixCache | None = None
        if shared is not None:
            self.prefix = PrefixCache(self.model, self._token_ids(shared, continued=False))

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]:
        return self.generate(prompts, self.max_new_tokens)

    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int) -> list[Generation]:
        started = time.perf_counter()
        batch = self._inputs([self._token_ids(p.messages) for p in prompts], max_new_tokens)
        with torch.inference_mode():
            output = self.model.generate(
                **batch.as_kwargs(),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                disable_compile=True,  # a first request must not wait for a compilation
                pad_token_id=self.tokenizer.pad_token_id,
                logits_processor=self._constraints(prompts),
                stopping_criteria=StoppingCriteriaList(
                    [JsonObjectClosed(self.tokenizer, len(prompts))]
                ),
            )
        new_tokens = output[:, batch.input_ids.shape[1] :]
        replies = [self._reply(row) for row in new_tokens]
        LLM_INFERENCE_DURATION.labels(model=self.name).observe(time.perf_counter() - started)
        LLM_BATCH_SIZE.labels(model=self.name).observe(len(prompts))
        LLM_TOKENS_GENERATED.labels(model=self.name).inc(sum(r.tokens for r in replies))
        return replies

    def warm_up(self) -> None:
        """One tiny generation, so the first real request does not pay for lazy set-up."""
        self.generate([Prompt([{"role": "user", "content": "Hello"}])], max_new_tokens=2)

    def _inputs(self, rows: list[list[int]], max_new_tokens: int) -> BatchInputs:
        pad_id = self.tokenizer.pad_token_id
        if self.prefix is not None and self.prefix.covers(rows):
            return self.prefix.inputs(rows, pad_id, max_new_tokens)
        return left_padded(rows, pad_id, self.model.device)

    def _constraints(self, prompts: Sequence[Prompt]) -> LogitsProcessorList:
        schemas = [p.reply_schema for p in prompts]
        if self._grammar_tokenizer is None or all(s is None for s in schemas):
            return LogitsProcessorList()
        return LogitsProcessorList([SchemaConstraint(self._grammar_tokenizer, schemas)])

    def _token_ids(self, messages: Messages, continued: bool = True) -> list[int]:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=continued
        )
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _eos_ids(self) -> list[int]:
        # The model's own end-of-turn tokens: a GGUF's tokenizer may name another eos.
        eos = self.model.generation_config.eos_token_id
        return list(eos) if isinstance(eos, list) else [eos]

    def _reply(self, row: torch.Tensor) -> Generation:
        ids = row.tolist()
        stops = {*self._eos_ids(), self.tokenizer.pad_token_id}
        length = next((i for i, token in enumerate(ids) if token in stops), len(ids))
        text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
        return Generation(text=text, tokens=length)
