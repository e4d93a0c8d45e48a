"""Reinforcement learning over formulas: the environment, PPO, checkpoints and policies.

Modules import torch; import them directly (`fragrance_ai.training.ppo_engine`, ...)
so that importing this package alone stays cheap.
"""
