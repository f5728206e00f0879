"""The engine must stay importable without the web stack (workers, CLI, benchmarks)."""

import subprocess
import sys
from pathlib import Path


def test_engine_imports_neither_flask_nor_the_database():
    code = ("import sys, matchmaker.matching, matchmaker.matching.io\n"
            "bad = [m for m in ('flask', 'sqlalchemy', 'sqlmodel', 'click') if m in sys.modules]\n"
            "assert not bad, bad\n"
            "own = sorted(m for m in sys.modules if m.startswith('matchmaker') "
            "and not m.startswith('matchmaker.matching'))\n"
            "assert own == ['matchmaker', 'matchmaker.vocabulary'], own\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr


def test_public_api_is_small_and_documented():
    import matchmaker.matching as engine

    assert set(engine.__all__) >= {"Product", "Demand", "InputError", "ProductIndex", "DemandIndex",
                                   "Match", "Explanation", "Component", "why_not", "explain"}
    assert all(getattr(engine, name).__doc__ for name in engine.__all__ if callable(getattr(engine, name)))
