"""The files of a training run's directory: one checkpoint per save, named by global
step, and the finished run's policy (POLICY_FILE), which a worker serves once promoted.

A save writes a temporary file and renames it, so a worker killed mid-save leaves
the previous checkpoint intact; the oldest files beyond `keep` are removed. torch loads
on first save or load, so naming a run's files costs nothing.
"""

import os
import pickle
from pathlib import Path
from typing import Any

PREFIX = "step-"
SUFFIX = ".pt"
POLICY_FILE = "policy.pt"


def checkpoint_path(directory: Path, global_step: int) -> Path:
    return directory / f"{PREFIX}{global_step:012d}{SUFFIX}"


def save_checkpoint(directory: Path, state: dict[str, Any], keep: int = 3) -> Path:
    """Write `state` (with its "global_step") and keep only the newest `keep` files."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    path = checkpoint_path(directory, int(state["global_step"]))
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)
    for old in list_checkpoints(directory)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoint files, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))


def latest_checkpoint(directory: Path) -> Path | None:
    found = list_checkpoints(directory)
    return found[-1] if found else None


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint`; tensors and plain data only."""
    import torch

    try:
        state: dict[str, Any] = torch.load(path, weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from None
    return state
