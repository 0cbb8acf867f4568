"""The test suite's own layout (tests/README.md): what a test module may import."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (a function's own imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def forbidden(module: str) -> bool:
    """A test module or conftest.py: shared code belongs in a helper module instead."""
    parts = module.split(".")
    return parts[0] == "tests" and len(parts) > 1 and parts[1].startswith(("test_", "conftest"))


def test_no_module_imports_a_test_module_or_conftest():
    offences = {
        f"{path.name} imports {module}"
        for path in sorted(TESTS.glob("*.py"))
        for module in imported_modules(path)
        if forbidden(module)
    }
    assert not offences, "move what is shared into tests/helpers.py: " + "; ".join(sorted(offences))


def test_the_check_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import tests.test_a\n"
        "from tests.test_b import x\n"
        "from tests import test_c\n"
        "def f():\n    from tests.conftest import HOME\n"
        "from tests.helpers import HOME\n"
        "from tests import twiml\n"
    )
    assert sorted(m for m in imported_modules(sample) if forbidden(m)) == [
        "tests.conftest",
        "tests.conftest.HOME",
        "tests.test_a",
        "tests.test_b",
        "tests.test_b.x",
        "tests.test_c",
    ]
