"""Smoke test: the documented imports work and a small environment steps.

python scripts/smoke.py
"""

from fragrance_ai.training.ppo_engine import FragranceEnvironment
from fragrance_ai.training.rl_advanced import EntropyScheduleConfig, EntropyScheduler


def main() -> None:
    scheduler = EntropyScheduler(
        EntropyScheduleConfig(initial_entropy=0.01, final_entropy=0.001, decay_steps=100)
    )
    entropy = scheduler.step()
    assert entropy == 0.01, f"the first step gives the initial entropy, not {entropy}"
    print(f"entropy scheduler: {entropy:.6f}")

    env = FragranceEnvironment(n_ingredients=5)
    state, _ = env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    print(f"environment: state_dim={len(state)}, first reward={float(reward):+.4f}")


if __name__ == "__main__":
    main()
