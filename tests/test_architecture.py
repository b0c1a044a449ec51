"""The layers of docs/architecture.md, enforced: top imports bottom, never the reverse; the
document matches the tree; modules stay small; nothing points outside the repository."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "framework" / "stainless"
MAX_LINES = 400


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
    layered = [name for name in packages if name.count(".") == 1]
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
