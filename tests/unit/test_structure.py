"""The code's shape, as docs/architecture.md draws it: layers that only point inwards, no import
cycle, no import hidden in a function to dodge one, and modules short enough to read at once.

The imports are read from the source with `ast`, so these checks see every import, also the ones
inside functions that a plain `import` of the package would not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
MAX_LINES = 300
# What each layer may import from the package. domain: pure rules, no I/O; adapters: boto3's
# edge; usecases: the flows; web: HTTP. service.py wires adapters to use cases; contract.py is
# the published API description (openapi.json): the edge checks bodies against it, and the
# domain and use cases read the limits it publishes from it.
MAY_IMPORT = {
    "domain": {"domain", "errors", "contract"},
    "adapters": {"adapters", "domain", "errors"},
    "usecases": {"usecases", "domain", "errors", "service", "settings", "contract"},
    "web": {"web", "usecases", "domain", "errors", "service", "settings", "contract"},
}
# Imports that may wait until first use, to keep them out of a cold start (docs/performance.md):
# argon2 only for a password check, segno only for the security-info page's QR code, fido2 only
# for a passkey ceremony, jwt (PyJWT, which loads cryptography.x509 and its JWKS client) only for
# the first signature made or checked; of the package, only the WebAuthn ceremonies
# (domain/passkey_checks.py), for the same passkey calls.
DEFERRED_OK = {"boto3", "botocore", "argon2", "segno", "fido2", "jwt"}
DEFERRED_OK |= {"chalicelib.domain.passkey_checks"}


def deferred_ok(target: str) -> bool:
    """A package named in DEFERRED_OK, or a module named there, or a name in it."""
    return any(target == ok or target.startswith(ok + ".") for ok in DEFERRED_OK)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function?) for every import in the file."""
    tree = ast.parse(path.read_text())
    nested = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(name, id(node) in nested) for name in [node.module, *names]]
        elif isinstance(node, ast.Import):
            found += [(alias.name, id(node) in nested) for alias in node.names]
    return found


def package_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {
            target
            for target, _ in imports(path)
            if target in known and target not in (name, "chalicelib")
        }
        for name, path in known.items()
    }


def layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_there_is_no_import_cycle():
    graph = package_graph()
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_no_function_imports_the_package_or_a_library_late():
    late = [
        f"{path.relative_to(ROOT)}: {target}"
        for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py"]
        for target, nested in imports(path)
        if nested and not deferred_ok(target)
    ]
    assert not late, late


@pytest.mark.parametrize("name", sorted(MAY_IMPORT))
def test_each_layer_points_only_inwards(name):
    graph = package_graph()
    wrong = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if layer(module) == name
        for target in targets
        if layer(target) not in MAY_IMPORT[name]
    }
    assert not wrong, wrong


def test_the_domain_does_no_io():
    io = {"boto3", "botocore", "urllib.request", "socket", "http.client"}
    found = {
        f"{module}: {target}"
        for module, path in modules().items()
        if layer(module) == "domain"
        for target, _ in imports(path)
        if target in io or target.split(".")[0] in io
    }
    assert not found, found
