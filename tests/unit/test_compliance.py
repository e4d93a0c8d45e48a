"""Every optimiser's formula meets every IFRA standard of its brief's category, by
substance and within the safety margin, and keeps every material within its typical
maximum use, checked line by line from the shipped tables."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fragrance_ai.catalog import load_catalog
from fragrance_ai.optimiser import FormulationError, optimise
from fragrance_ai.optimiser.ga import GAConfig, optimise_with_ga
from fragrance_ai.training.optimise import optimise_with_ppo
from fragrance_ai.training.policy import Policy
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import compile_problem
from fragrance_ai.training.trainer import PPOTrainer
from schemas import Brief, Concentration, Family
from schemas.brief import Product
from schemas.formula import Formula
from tests.fixtures.dosing import assert_within_use_levels
from tests.fixtures.regulation import assert_compliant_within_margin

CATALOG = load_catalog()
SMALL_PPO = PPOConfig(
    seed=3, n_ingredients=8, num_envs=16, episode_length=6, total_timesteps=16 * 6 * 2,
    update_epochs=2, num_minibatches=2,
)  # fmt: skip


@st.composite
def briefs(draw: st.DrawFn) -> Brief:
    families = draw(st.lists(st.sampled_from(list(Family)), min_size=1, max_size=3, unique=True))
    return Brief(
        family_weights={f: draw(st.floats(0.2, 3.0)) for f in families},
        concentration=draw(st.sampled_from(list(Concentration))),
        product=draw(st.sampled_from(list(Product))),
        ifra_safety_margin=draw(st.sampled_from([0.9, 0.8, 1.0])),
        max_materials=draw(st.integers(4, 12)),
    )


def reference(brief: Brief) -> Formula:
    return optimise(brief).formula


def ga(brief: Brief) -> Formula:
    return optimise_with_ga(brief, GAConfig(population_size=20, generations=5, seed=1)).best


def ppo(brief: Brief) -> Formula:
    return optimise_with_ppo(brief, SMALL_PPO).formula


def policy(brief: Brief) -> Formula:
    # an untrained policy: whatever it proposes, the dynamics keep it within the limits
    trainer = PPOTrainer(SMALL_PPO, lambda _rng: [compile_problem(brief, 8)])
    return Policy(trainer.agent, SMALL_PPO, CATALOG).formulate(brief)


@pytest.mark.parametrize(
    ("optimiser", "examples"), [(reference, 20), (ga, 12), (ppo, 4), (policy, 6)]
)
def test_every_optimiser_is_compliant_by_substance_and_within_use_levels(
    optimiser: object, examples: int
) -> None:
    assert callable(optimiser)

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(briefs())
    def check(brief: Brief) -> None:
        try:
            formula = optimiser(brief)
        except FormulationError:
            return  # the category's limits leave no formula: a refusal with its reason
        assert_compliant_within_margin(formula, brief)
        assert_within_use_levels(formula)

    check()
