"""`python -m tests.bench [NAME...]`: run every benchmark of this package, or those named.

A benchmark is a module here with a `main()`; one that returns False (a target missed) or
raises makes the exit status 1, after the others have run.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import tests.bench


def benchmarks() -> list[str]:
    return [
        m.name
        for m in pkgutil.iter_modules(tests.bench.__path__)
        if not m.name.startswith("_")
        and hasattr(importlib.import_module(f"tests.bench.{m.name}"), "main")
    ]


def run(names: list[str]) -> int:
    failed = []
    for name in names:
        print(f"=== {name} ===", flush=True)
        try:
            if importlib.import_module(f"tests.bench.{name}").main() is False:
                failed.append(name)
        except Exception:
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"benchmarks that missed a target or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:] or benchmarks()))
