from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from fragrance_ai.training.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from fragrance_ai.training.policy import Policy
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import DEFAULT_BRIEF, compile_problem
from fragrance_ai.training.progress import TrainingProgress
from fragrance_ai.training.train import TrainConfig, train_policy
from fragrance_ai.training.trainer import PPOTrainer

ITERATIONS = 4


def tiny_run(tmp_path: Path, run: str, tensorboard: bool = False) -> TrainConfig:
    ppo = PPOConfig(
        seed=3,
        n_ingredients=8,
        num_envs=16,
        episode_length=4,
        total_timesteps=16 * 4 * ITERATIONS,
        update_epochs=2,
        num_minibatches=2,
    )
    return TrainConfig(
        run=run,
        checkpoint_dir=tmp_path / "checkpoints",
        tensorboard_dir=tmp_path / "tensorboard" if tensorboard else None,
        ppo=ppo,
        briefs_per_rollout=4,
        checkpoint_every=1,
        eval_every=2,
        eval_briefs=4,
    )


def assert_same_state(a: object, b: object) -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor)
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for key in a:
            assert_same_state(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_state(x, y)
    else:
        assert a == b


def test_a_checkpoint_round_trips_exactly(tmp_path: Path) -> None:
    problem = compile_problem(DEFAULT_BRIEF, 8)
    config = tiny_run(tmp_path, "roundtrip").ppo
    trainer = PPOTrainer(config, lambda _rng: [problem])
    trainer.run_iteration()
    path = save_checkpoint(tmp_path, trainer.state_dict())
    restored = PPOTrainer(config, lambda _rng: [problem])
    restored.load_state_dict(load_checkpoint(path))
    assert_same_state(restored.state_dict(), trainer.state_dict())
    assert restored.run_iteration().mean_return == trainer.run_iteration().mean_return


def test_only_the_newest_checkpoints_are_kept(tmp_path: Path) -> None:
    for step in (64, 128, 192, 256):
        save_checkpoint(tmp_path, {"global_step": step}, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "step-000000000192.pt",
        "step-000000000256.pt",
    ]
    assert latest_checkpoint(tmp_path) == tmp_path / "step-000000000256.pt"
    assert latest_checkpoint(tmp_path / "none") is None


def test_an_unreadable_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "step-000000000001.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(broken)


def test_a_cancelled_run_resumes_to_the_same_result_as_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    whole = train_policy(tiny_run(tmp_path, "whole"))
    assert (whole.status, whole.iterations, whole.resumed_from_step) == ("completed", 4, None)

    seen: list[TrainingProgress] = []
    interrupted = tiny_run(tmp_path, "interrupted")
    first = train_policy(interrupted, should_stop=lambda: len(seen) == 2, on_progress=seen.append)
    assert (first.status, first.iterations, first.policy) == ("cancelled", 2, None)
    second = train_policy(interrupted, on_progress=seen.append)
    assert second.resumed_from_step == first.global_step == 2 * 16 * 4
    assert [p.iteration for p in seen] == [1, 2, 3, 4]
    assert second.global_step == whole.global_step

    assert whole.policy is not None and second.policy is not None
    assert_same_state(
        load_checkpoint(Path(second.checkpoint))["agent"],
        load_checkpoint(Path(whole.checkpoint))["agent"],
    )
    formula = Policy.load(Path(second.policy)).formulate(DEFAULT_BRIEF)
    assert formula == Policy.load(Path(whole.policy)).formulate(DEFAULT_BRIEF)


def test_training_logs_charts_losses_and_eval_against_global_step(tmp_path: Path) -> None:
    config = tiny_run(tmp_path, "logged", tensorboard=True)
    train_policy(config)
    events = EventAccumulator(str(tmp_path / "tensorboard" / "logged"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"charts/SPS", "charts/objective", "losses/policy_loss", "losses/approx_kl"} <= tags
    assert [e.step for e in events.Scalars("charts/objective")] == [64, 128, 192, 256]
    assert [e.step for e in events.Scalars("eval/objective")] == [128, 256]
