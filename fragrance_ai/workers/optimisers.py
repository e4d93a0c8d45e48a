"""The optimisers an `OptimizeFormula` command may name, all maximising the one objective.

Each is a plain function (brief, options) -> Formula, run off the event loop by the
optimising stage. Torch and DEAP load on first use, so a worker that only ever runs
the reference optimiser starts without them.
"""

import threading
from collections.abc import Callable
from pathlib import Path

from fragrance_ai.optimiser import optimise
from fragrance_ai.optimiser.errors import FormulationError
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.messages import FormulationOptions, Optimizer

POLICY_FILE = "policy.pt"

Optimise = Callable[[Brief, FormulationOptions], Formula]


def reference_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    return optimise(brief).formula


def ppo_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    from fragrance_ai.training.optimise import optimise_with_ppo
    from fragrance_ai.training.ppo import PPOConfig

    return optimise_with_ppo(brief, PPOConfig(seed=options.seed)).formula


def ga_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    from fragrance_ai.optimiser.ga import GAConfig, optimise_with_ga

    return optimise_with_ga(brief, GAConfig(seed=options.seed)).best


class NoTrainedPolicyError(FormulationError):
    def __init__(self, checkpoint_dir: Path) -> None:
        # The folder is the worker's own business: a client is not told where it is.
        super().__init__(
            "no trained policy yet: finish a training run "
            "(POST /v1/training-runs) before asking for optimizer=policy"
        )
        self.checkpoint_dir = checkpoint_dir


class PolicyOptimiser:
    """The newest policy a finished training run left in the checkpoint folder; loaded
    once, and again only when a newer one appears."""

    def __init__(self, checkpoint_dir: Path) -> None:
        self.checkpoint_dir = checkpoint_dir
        self._lock = threading.Lock()
        self._loaded: tuple[Path, float, object] | None = None

    def newest_policy(self) -> Path:
        policies = sorted(
            self.checkpoint_dir.glob(f"*/{POLICY_FILE}"), key=lambda p: p.stat().st_mtime
        )
        if not policies:
            raise NoTrainedPolicyError(self.checkpoint_dir)
        return policies[-1]

    def __call__(self, brief: Brief, options: FormulationOptions) -> Formula:
        from fragrance_ai.training.policy import Policy

        path = self.newest_policy()
        mtime = path.stat().st_mtime
        with self._lock:
            if self._loaded is None or self._loaded[:2] != (path, mtime):
                self._loaded = (path, mtime, Policy.load(path))
            policy = self._loaded[2]
        assert isinstance(policy, Policy)
        return policy.formulate(brief)


def all_optimisers(checkpoint_dir: Path) -> dict[Optimizer, Optimise]:
    return {
        Optimizer.REFERENCE: reference_optimiser,
        Optimizer.PPO: ppo_optimiser,
        Optimizer.GA: ga_optimiser,
        Optimizer.POLICY: PolicyOptimiser(checkpoint_dir),
    }
