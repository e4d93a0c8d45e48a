"""Reinforcement learning over formulas: the environment, PPO, checkpoints and policies.

Modules import torch; import them directly (`fragrance_ai.training.environment`, ...)
so that importing this package alone stays cheap.
"""
