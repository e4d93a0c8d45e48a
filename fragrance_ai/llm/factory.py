"""Build the ensemble once per process: locate, load and warm up every enabled model."""

from collections.abc import Mapping

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.llm.batching import BatchingGenerator
from fragrance_ai.llm.config import EnsembleConfig
from fragrance_ai.llm.generation import TransformersGenerator
from fragrance_ai.llm.loading import check_loadable, load_model
from fragrance_ai.llm.prompt import shared_messages
from fragrance_ai.llm.service import LLMEnsemble, Member, RuleBased
from fragrance_ai.llm.sources import locate_enabled
from schemas.brief import Brief


def rule_based_brief(text: str) -> Brief:
    """The rule-based interpreter's brief; imported late so the LLM package loads alone."""
    from fragrance_ai.interpreter import interpret

    brief: Brief = interpret(text).brief
    return brief


def load_ensemble(config: EnsembleConfig, rule_based: RuleBased = rule_based_brief) -> LLMEnsemble:
    """Blocking and slow (model loading): call it once at start-up, off the event loop.

    Raises ModelsMissingError naming every missing model and where it was looked for,
    and QuantizationUnavailableError / BackendNotInstalledError before loading anything.
    """
    return assemble_ensemble(config, load_generators(config), rule_based)


def load_generators(config: EnsembleConfig) -> dict[str, TransformersGenerator]:
    """Every enabled model loaded, its shared prefix cached, and warmed up."""
    for spec in config.enabled_models:
        check_loadable(spec)
    located = locate_enabled(config.enabled_models, config.hf_home, config.model_dirs)
    generators: dict[str, TransformersGenerator] = {}
    for spec in config.enabled_models:
        loaded = load_model(spec, located[spec.name], config.onnx_dir)
        generators[spec.name] = TransformersGenerator(loaded, shared=shared_messages())
        generators[spec.name].warm_up()
    return generators


def assemble_ensemble(
    config: EnsembleConfig,
    generators: Mapping[str, TransformersGenerator],
    rule_based: RuleBased = rule_based_brief,
) -> LLMEnsemble:
    """The service over loaded generators, each behind a batcher set by `config`."""
    members = {
        name: Member(
            spec=generator.spec,
            batcher=BatchingGenerator(
                generator,
                window_s=config.batch_window_ms / 1000,
                max_batch_size=config.max_batch_size,
                timeout_s=config.request_timeout_s,
            ),
            tokenizer=generator.tokenizer,
        )
        for name, generator in generators.items()
    }
    catalog_ids = [material.id for material in load_catalog()]
    return LLMEnsemble(config, members, rule_based, catalog_ids, DESCRIPTOR_FAMILY.keys())
