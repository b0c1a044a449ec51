"""The layers of docs/architecture.md, enforced: top imports bottom, never the reverse; the
document matches the tree; modules stay small; nothing points outside the repository."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "framework" / "stainless"
MAX_LINES = 400
# Source modules with a function or a class but no mirrored test module (see
# test_every_module_has_its_own_test_module): only those with no logic of their own. Do not add
# a module with logic; the check fails when a listed module gets its mirror.
WITHOUT_OWN_TEST_MODULE = {
    # A thin entry point: argparse into serving.server.serve (tests/serving/test_server.py), run
    # as a process by the local endpoint (tests/backends/endpoints/local/test_endpoint.py).
    "stainless.serving.__main__",
}


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_heavy_sdks_are_not_imported_by_the_base_package():
    code = (
        "import sys, stainless.cli, stainless.pipeline.runner, stainless.backends.notify;"
        "heavy = {'boto3', 'slack_sdk', 'snowflake', 'airflow', 'sagemaker'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_architecture_document_names_every_package():
    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(
        path.parent.relative_to(PACKAGE.parent).as_posix().replace("/", ".")
        for path in PACKAGE.rglob("__init__.py")
        if "_template" not in path.parts and "schema" not in path.parts
    )
    # A top-level module is a layer of its own too (stainless.demo).
    modules = [
        f"stainless.{path.stem}"
        for path in PACKAGE.glob("*.py")
        if path.stem not in ("__init__", "__main__")
    ]
    layered = [name for name in packages if name.count(".") == 1] + modules
    missing = [name for name in layered if name not in text]
    assert not missing, f"docs/architecture.md does not place {missing}"
    for folder in ("storage", "data", "registry", "notify", "compute", "endpoints"):
        assert f"`{folder}`" in text, f"docs/architecture.md does not describe backends/{folder}"


def test_layers_in_the_document_are_the_contract():
    contract = (ROOT / "pyproject.toml").read_text()
    layers = re.search(r"layers = \[(.*?)\]", contract, re.S).group(1)
    names = set(re.findall(r"stainless\.\w+|dag_generator", layers))
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = text.split("```")[1]
    assert names == set(re.findall(r"stainless\.\w+|dag_generator", block))


def test_modules_stay_small():
    big = {
        str(path.relative_to(ROOT)): lines
        for path in list(PACKAGE.rglob("*.py")) + list((ROOT / "dag_generator").rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not big, f"split these modules by concept (over {MAX_LINES} lines): {big}"


def test_every_module_has_its_own_test_module():
    """``framework/stainless/<path>/<module>.py`` is tested in ``tests/<path>/test_<module>.py``
    (``dag_generator/<module>.py`` in ``tests/dag_generator/test_<module>.py``; a package's
    ``__init__`` in ``test_<package>.py``, a ``__main__`` in ``test_main.py``) once it has logic:
    a function or a class."""
    missing = {
        name
        for name, module, tests in _modules_and_mirrors()
        if _has_logic(module) and not tests.is_file()
    }
    unlisted = sorted(missing - WITHOUT_OWN_TEST_MODULE)
    assert not unlisted, f"write tests/<package>/test_<module>.py for: {unlisted}"
    mirrored = sorted(WITHOUT_OWN_TEST_MODULE - missing)
    assert not mirrored, f"these have their test module now; strike them from the list: {mirrored}"


def _modules_and_mirrors() -> list[tuple[str, Path, Path]]:
    found = []
    for root, tests in (
        (PACKAGE, ROOT / "tests"),
        (ROOT / "dag_generator", ROOT / "tests" / "dag_generator"),
    ):
        for module in sorted(root.rglob("*.py")):
            relative = module.relative_to(root)
            if "_template" in relative.parts:
                continue
            parts = [root.name, *relative.with_suffix("").parts]
            if module.stem == "__init__":
                parts.pop()
                mirror = tests / relative.parent / f"test_{parts[-1]}.py"
            elif module.stem == "__main__":
                mirror = tests / relative.parent / "test_main.py"
            else:
                mirror = tests / relative.parent / f"test_{module.stem}.py"
            found.append((".".join(parts), module, mirror))
    return found


def _has_logic(module: Path) -> bool:
    tree = ast.parse(module.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) for node in tree.body)


def test_nothing_refers_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pattern = re.compile(r"\.\./shared|DESIGN\.md")
    offenders = [
        name
        for name in tracked
        if not name.startswith("tests/test_architecture.py")
        and (ROOT / name).is_file()
        and pattern.search((ROOT / name).read_text(errors="ignore"))
    ]
    assert not offenders, f"these files refer to documents outside the repository: {offenders}"


def test_no_import_cycles_between_modules():
    """Layers forbid upward imports; this forbids cycles inside a layer too (a module may still
    import its own package's ``__init__``)."""
    import grimp

    graph = grimp.build_graph("stainless", "dag_generator")
    edges = {
        module: {
            target
            for target in graph.find_modules_directly_imported_by(module)
            if not module.startswith(target + ".")
        }
        for module in graph.modules
    }
    cycles = [sorted(group) for group in _strongly_connected(edges) if len(group) > 1]
    assert not cycles, f"import cycles: {cycles}"


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is small but recursion limits are not)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
    return groups
