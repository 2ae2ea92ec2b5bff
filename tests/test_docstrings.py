"""Every public function, class and method of the package has a docstring."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "positrix"


def _undocumented(node: ast.AST, path: Path, prefix: str = "") -> list[str]:
    missing = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if child.name.startswith("_"):
                continue
            if not ast.get_docstring(child):
                missing.append(f"{path.relative_to(PACKAGE)}:{child.lineno} {prefix}{child.name}")
            if isinstance(child, ast.ClassDef):
                missing += _undocumented(child, path, f"{prefix}{child.name}.")
    return missing


def test_every_public_name_has_a_docstring():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        missing += _undocumented(ast.parse(path.read_text(encoding="utf-8")), path)
    assert missing == [], "add numpydoc docstrings:\n" + "\n".join(missing)
