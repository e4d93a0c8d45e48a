"""Write docs/openapi.json and docs/asyncapi.json from the code (`make api-documents`);
with --check, only say which kept document differs, and exit 1 if any does."""

import argparse
import sys
from pathlib import Path

from fragrance_ai.programs.documents import stale_documents, write_documents

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    if args.check:
        stale = stale_documents(ROOT)
        for name in stale:
            print(f"{name} differs from the code: run `make api-documents`", file=sys.stderr)
        return 1 if stale else 0
    for name in write_documents(ROOT):
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
