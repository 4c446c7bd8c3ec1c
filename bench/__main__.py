"""Run one benchmark: `python -m bench NAME [--json]` (NAME: gas, oracle, settlement, verify)."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=available(), help="which benchmark to run")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    args = parser.parse_args()
    module = importlib.import_module(f"bench.{args.name}")
    figures = module.run(progress=not args.json)
    if args.json:
        sys.stdout.write(json.dumps(figures, sort_keys=True) + "\n")
    else:
        for key, value in figures.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
