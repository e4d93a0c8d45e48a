"""Build the ensemble once per process: locate, load and warm up every enabled model.

Each model lives on a thread of its own, from loading to its last batch. torch's CPU
kernels run on an OpenMP team that belongs to the thread calling them, and GNU OpenMP
stops its teams' threads from spinning between kernels once it manages more threads
than there are cores: a second team, from loading on one thread and generating on
another, is enough, and a decode step's many short kernels then each wait for sleeping
threads to wake: bfloat16 steps took 1.4 times as long (bench/model_thread.py), whole
replies up to twice as long.
"""

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.llm.batching import BatchingGenerator
from fragrance_ai.llm.config import Backend, EnsembleConfig, ModelSpec
from fragrance_ai.llm.generation import TransformersGenerator
from fragrance_ai.llm.loading import check_loadable, load_model
from fragrance_ai.llm.prompt import shared_messages
from fragrance_ai.llm.remote import ServedModel
from fragrance_ai.llm.service import LLMEnsemble, Member, RuleBased
from fragrance_ai.llm.sources import LocatedModel, locate_enabled
from schemas.brief import Interpretation


def read_by_rules(text: str) -> Interpretation:
    """The rule-based interpreter's reading; imported late so the LLM package loads alone."""
    from fragrance_ai.interpreter import interpret

    return interpret(text)


def load_ensemble(config: EnsembleConfig, rule_based: RuleBased = read_by_rules) -> LLMEnsemble:
    """Blocking and slow (model loading): call it once at start-up, off the event loop.

    Raises ModelsMissingError naming every missing model and where it was looked for,
    and QuantizationUnavailableError / BackendNotInstalledError before loading anything.
    """
    return assemble_ensemble(config, load_generators(config), rule_based, served_models(config))


def load_generators(config: EnsembleConfig) -> dict[str, TransformersGenerator]:
    """Every enabled model that runs in this process loaded, its shared prefix cached,
    and warmed up."""
    local = [spec for spec in config.enabled_models if spec.backend is not Backend.OPENAI]
    for spec in local:
        check_loadable(spec)
    located = locate_enabled(local, config.hf_home, config.model_dirs)
    generators: dict[str, TransformersGenerator] = {}
    for spec in local:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llm-{spec.name}")
        ready = thread.submit(_ready, spec, located[spec.name], config.onnx_dir, thread)
        generators[spec.name] = ready.result()
    return generators


def _ready(
    spec: ModelSpec, location: LocatedModel, onnx_dir: str | None, thread: ThreadPoolExecutor
) -> TransformersGenerator:
    generator = TransformersGenerator(
        load_model(spec, location, onnx_dir), shared=shared_messages(), thread=thread
    )
    generator.warm_up()
    return generator


def served_models(config: EnsembleConfig) -> dict[str, ServedModel]:
    """A client for every enabled model on an inference server; nothing is loaded."""
    return {
        spec.name: ServedModel(spec, config.request_timeout_s)
        for spec in config.enabled_models
        if spec.backend is Backend.OPENAI
    }


def assemble_ensemble(
    config: EnsembleConfig,
    generators: Mapping[str, TransformersGenerator],
    rule_based: RuleBased = read_by_rules,
    served: Mapping[str, ServedModel] | None = None,
) -> LLMEnsemble:
    """The service over loaded generators, each behind a batcher set by `config`, and
    over served models, which the server batches."""
    members = {
        name: Member(
            spec=generator.spec,
            batcher=BatchingGenerator(
                generator,
                window_s=config.batch_window_ms / 1000,
                max_batch_size=config.max_batch_size,
                timeout_s=config.request_timeout_s,
                thread=generator.thread,
            ),
            tokenizer=generator.tokenizer,
        )
        for name, generator in generators.items()
    }
    for name, model in (served or {}).items():
        members[name] = Member(spec=model.spec, batcher=model, tokenizer=None)
    catalog_ids = [material.id for material in load_catalog()]
    return LLMEnsemble(config, members, rule_based, catalog_ids, DESCRIPTOR_FAMILY.keys())
