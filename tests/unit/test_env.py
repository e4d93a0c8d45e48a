import warnings

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from fragrance_ai.catalog import load_catalog
from fragrance_ai.optimiser.hard_limits import HardLimits, formula_from_percents
from fragrance_ai.training.batched_env import BatchedFragranceEnv
from fragrance_ai.training.dynamics import apply_action, percent_caps
from fragrance_ai.training.environment import FragranceEnvironment
from fragrance_ai.training.problem import compile_problem
from schemas.brief import Brief, Concentration
from schemas.material import Family

PARFUM = Brief(
    family_weights={Family.FLORAL: 0.6, Family.AMBER: 0.4},
    concentration=Concentration.PARFUM,
    excluded_families=(Family.MUSK,),
    budget_per_kg=80.0,
)


def test_the_products_smoke_test_builds_a_default_environment() -> None:
    env = FragranceEnvironment(n_ingredients=5)
    state = env.reset()
    assert len(state) == 2
    assert state[0].shape == env.observation_space.shape


def test_both_env_checkers_pass() -> None:
    gymnasium_check_env(FragranceEnvironment(n_ingredients=6), skip_render_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(FragranceEnvironment(n_ingredients=6))


def test_reward_is_the_change_in_the_objective_and_caps_hold() -> None:
    env = FragranceEnvironment(PARFUM, n_ingredients=10)
    _, info = env.reset(seed=3)
    caps = percent_caps(env.problem)
    rng = np.random.default_rng(0)
    previous, total_reward, terminated, steps = info["objective"], 0.0, False, 0
    while not terminated:
        _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 10).astype(np.float32))
        percents = np.array(list(env.percents.values()))
        assert reward == pytest.approx(info["objective"] - previous)
        assert percents.sum() == pytest.approx(100.0)
        assert np.all(percents <= caps + 1e-9)
        assert not truncated
        previous, total_reward, steps = info["objective"], total_reward + reward, steps + 1
    assert steps == env.batch.episode_length
    score = env.problem.score_batch(percents)
    assert bool(score.compliant[0]) and score.excluded[0] == 1.0


def test_reset_with_a_seed_is_reproducible() -> None:
    env = FragranceEnvironment(n_ingredients=6)
    first, _ = env.reset(seed=11)
    again, _ = env.reset(seed=11)
    other, _ = env.reset(seed=12)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_batched_and_single_environments_agree_on_the_same_actions() -> None:
    catalog = load_catalog()
    briefs = [PARFUM, Brief(family_weights={Family.CITRUS: 1.0}, concentration=Concentration.EDC)]
    singles = [FragranceEnvironment(b, n_ingredients=8, catalog=catalog) for b in briefs]
    batched = BatchedFragranceEnv([s.problem for s in singles], envs_per_problem=1)
    single_obs = np.stack([s.reset(seed=5)[0] for s in singles])
    batched.reset()
    batched.percents = torch.stack([s.batch.percents[0] for s in singles])
    batched.objective = batched.score(batched.percents)
    np.testing.assert_allclose(batched.observe(batched.percents, 0).numpy(), single_obs, atol=1e-6)
    actions = np.random.default_rng(1).uniform(-1, 1, (16, 2, 8))
    for step_actions in actions:
        result = batched.step(torch.from_numpy(step_actions))
        for i, single in enumerate(singles):
            obs, reward, terminated, _, _ = single.step(step_actions[i].astype(np.float32))
            np.testing.assert_allclose(result.observation[i].numpy(), obs, atol=1e-6)
            assert float(result.reward[i]) == pytest.approx(reward, abs=1e-6)
            assert result.done == terminated


def test_an_action_moves_percentages_multiplicatively_before_renormalising() -> None:
    free = HardLimits(caps=np.full(3, 100.0), contents=np.zeros((3, 0)), budgets=np.zeros(0))
    start = torch.tensor([[50.0, 30.0, 20.0]], dtype=torch.float64)
    moved = apply_action(start, torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64), free, 0.5)
    expected = np.array([50 * np.exp(0.5), 30.0, 20 * np.exp(-0.5)])
    np.testing.assert_allclose(moved[0].numpy(), 100 * expected / expected.sum())


def test_too_many_ingredients_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="n_ingredients"):
        compile_problem(PARFUM, 10_000)


def test_a_formula_made_at_a_cap_with_traces_stays_within_ifra() -> None:
    problem = compile_problem(PARFUM, 10)
    caps = percent_caps(problem)
    capped = int(np.argmin(caps + (caps == 0) * 1e9))
    assert caps[capped] < 100.0
    percents = np.full(10, 0.01)  # traces below PRESENT_PERCENT, dropped by the formula
    percents[capped] = caps[capped]
    # the rest goes to materials IFRA leaves free, in proportion to their use levels
    free = (problem.regulation.percent_caps() >= 100.0) & (caps > 0)
    free[capped] = False
    percents[free] += (100.0 - percents.sum()) * caps[free] / caps[free].sum()
    assert (percents <= caps + 1e-9).all()
    formula = formula_from_percents(problem, percents, load_catalog())
    assert formula.ifra_compliant
    assert formula.score.total == pytest.approx(problem.score_batch(percents).total[0], abs=0.01)


def test_the_names_the_design_promises_still_import() -> None:
    from fragrance_ai.training import entropy, ppo_engine, rl_advanced

    assert ppo_engine.FragranceEnvironment is FragranceEnvironment
    assert rl_advanced.EntropyScheduler is entropy.EntropyScheduler
    assert rl_advanced.EntropyScheduleConfig is entropy.EntropyScheduleConfig
