"""The engine is a library of its own: it imports and runs with Django absent."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import migrator

ROOT = Path(__file__).resolve().parent.parent


def test_every_engine_module_imports_without_django():
    modules = [f"migrator.{m.name}" for m in pkgutil.iter_modules(migrator.__path__)]
    script = (
        "import sys; sys.modules['django'] = None\n"
        f"for name in {modules!r}: __import__(name)\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert len(modules) >= 4
