"""Metrics of policy training, for the RL worker and the trainer to update."""

from prometheus_client import Counter, Gauge

RL_TRAINING_EPISODES = Counter(
    "rl_training_episodes", "Episodes completed by policy training, over all runs"
)
RL_MEAN_EPISODE_REWARD = Gauge(
    "rl_mean_episode_reward", "Mean episode reward of the latest training iteration"
)
RL_MEAN_OBJECTIVE = Gauge(
    "rl_mean_objective", "Mean objective score of the formulas of the latest training iteration"
)
RL_STEPS_PER_SECOND = Gauge(
    "rl_steps_per_second", "Environment steps per second of the latest training iteration"
)
