"""The ONNX Runtime backend: a located model exported once with optimum, then run from disk.

optimum-onnx needs transformers 4 (below 4.58), so this backend comes with its own extra,
`fragrance-ai[onnx]`, installed in an environment of its own (`make onnx-venv`). The first
start exports the model, which takes about a minute for SmolLM2; the export is kept under
`onnx_dir`, keyed by the source file, and every later start loads it in seconds.
"""

import hashlib
import importlib.util
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir
from transformers import AutoModelForCausalLM, AutoTokenizer

from fragrance_ai.llm.config import ModelSpec
from fragrance_ai.llm.errors import BackendNotInstalledError, UnsupportedBackendOptionError
from fragrance_ai.llm.sources import LocatedModel

ONNX_FILE = "model.onnx"
INSTALL_HINT = (
    "install the onnx extra in an environment of its own, since optimum-onnx needs "
    "transformers<4.58: `make onnx-venv`, or pip install 'fragrance-ai[llm,onnx]'"
)


def onnx_installed() -> bool:
    return importlib.util.find_spec("optimum") is not None and (
        importlib.util.find_spec("optimum.onnxruntime") is not None
    )


def check_onnx_loadable(spec: ModelSpec) -> None:
    """The options this backend cannot honour, refused before anything is read."""
    if spec.device_map != "cpu" or spec.dtype not in ("auto", "float32"):
        raise UnsupportedBackendOptionError(
            f"model {spec.name!r}: backend 'onnx' exports float32 and runs on the CPU "
            f"(onnxruntime); set device_map = 'cpu' and dtype = 'float32' (got "
            f"{spec.device_map!r}, {spec.dtype!r}), or use backend = 'transformers'."
        )
    if not onnx_installed():
        raise BackendNotInstalledError(
            f"model {spec.name!r} asks for backend 'onnx', which needs optimum-onnx and "
            f"onnxruntime; they are not installed: {INSTALL_HINT}. Or set backend = 'transformers'."
        )


def exported_dir(spec: ModelSpec, located: LocatedModel, onnx_dir: str | None) -> Path:
    """Where this source's export lives: a new source file gets a new export."""
    if (located.directory / ONNX_FILE).is_file():
        return located.directory  # the source already is an ONNX export
    source = located.directory / (located.gguf_file or "config.json")
    stat = source.stat()
    digest = hashlib.sha256(f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    root = Path(onnx_dir).expanduser() if onnx_dir else Path(user_cache_dir("fragrance-ai"))
    return root / "onnx" / f"{spec.name}-{digest.hexdigest()[:16]}"


def load_onnx(spec: ModelSpec, located: LocatedModel, onnx_dir: str | None) -> tuple[Any, Any]:
    """The ONNX Runtime model and its tokenizer, exporting first if no export is kept."""
    from optimum.onnxruntime import ORTModelForCausalLM

    check_onnx_loadable(spec)
    target = exported_dir(spec, located, onnx_dir)
    if not (target / ONNX_FILE).is_file():
        export_onnx(located, target)
    tokenizer = AutoTokenizer.from_pretrained(target, local_files_only=True)
    model = ORTModelForCausalLM.from_pretrained(
        target, use_cache=True, local_files_only=True, provider="CPUExecutionProvider"
    )
    return model, tokenizer


def export_onnx(located: LocatedModel, target: Path) -> None:
    """Export through a Hugging Face directory (a GGUF is dequantised into one first).

    Written beside the target and renamed into place, so a crash or a second worker
    exporting at the same time never leaves a half-written export behind."""
    from optimum.exporters.onnx import main_export

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        source = located.directory
        if located.gguf_file is not None:
            source = Path(scratch) / "hf"
            common = {"gguf_file": located.gguf_file, "local_files_only": True}
            model = AutoModelForCausalLM.from_pretrained(located.directory, **common)
            model.save_pretrained(source)
            AutoTokenizer.from_pretrained(located.directory, **common).save_pretrained(source)
            del model
        exported = Path(scratch) / "onnx"
        with warnings.catch_warnings():
            # optimum traces with torch's TorchScript exporter, deprecated by torch, which
            # warns of every branch and operator it traces; none is for a user to act on.
            # What matters, replies equal to the transformers backend's, is tested instead.
            warnings.simplefilter("ignore")
            main_export(
                str(source), exported, task="text-generation-with-past", local_files_only=True
            )
        try:
            exported.rename(target)
        except OSError:
            if not (target / ONNX_FILE).is_file():
                raise
            shutil.rmtree(exported)  # another process finished the same export first
