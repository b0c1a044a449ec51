"""The run report: built from a real baked project taken through two runs (the second rolled out
step by step against the first, promoted by a bootstrap interval), rendered by the package's
Jinja2 template, and opened in a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.core.errors import StainlessError
from stainless.pipeline.report import build_report, render_report, write_report
from stainless.pipeline.runner import RolloutOptions, run_lifecycle
from stainless.workspace import open_workspace

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SECTIONS = ("summary", "stages", "metric", "decision", "figures", "rollout", "lineage")


@pytest.fixture(scope="module")
def rolled_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 1 (weak), then version 2 (better) rolled out as a canary and promoted."""
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("report")
    project_dir = Path(
        cookiecutter(
            str(template_dir()),
            no_input=True,
            output_dir=str(out),
            extra_context={"promotion_criterion": "bootstrap_95"},
        )
    )
    # A short canary (one step, a small sample): the report needs a rollout, not a long one.
    config = project_dir / "model.yaml"
    config.write_text(
        config.read_text()
        .replace("steps: [25, 50, 100]", "steps: [50, 100]")
        .replace("min_requests_per_step: 300", "min_requests_per_step: 100")
        .replace("min_bake_seconds: 2", "min_bake_seconds: 1")
        .replace("tick_seconds: 2", "tick_seconds: 1")
    )
    # A lock file, as `stainless lock` writes (its digest is part of the lineage).
    (project_dir / "requirements.lock").write_text("# locked by stainless lock\n")
    previous = os.environ.get("STAINLESS_PARAMS")
    try:
        for run_id, alpha in (("run-1", 300), ("run-2", 30)):
            os.environ["STAINLESS_PARAMS"] = json.dumps({"alpha": alpha})
            report = run_lifecycle(
                open_workspace(project_dir), run_id, in_process=True, rollout=RolloutOptions()
            )
            assert report.ok, report.error
    finally:
        if previous is None:
            os.environ.pop("STAINLESS_PARAMS", None)
        else:
            os.environ["STAINLESS_PARAMS"] = previous
        open_workspace(project_dir).endpoint.down()
    return project_dir


@pytest.mark.integration
def test_the_report_holds_every_part_of_the_run(rolled_out: Path) -> None:
    project = open_workspace(rolled_out)
    data = build_report(project, "run-2")
    assert data.outcome == "promoted" and data.version == 2
    assert [s.name for s in data.stages] == [
        "preprocess",
        "train",
        "evaluate",
        "decide",
        "deploy",
        "rollout",
        "finalize",
    ]
    assert all("$" in s.cost for s in data.stages[:4]) and data.notional  # "<$0.000001" too
    comparison = data.comparison
    assert comparison.production_version == 1 and comparison.has_interval
    assert comparison.ci_low <= comparison.margin <= comparison.ci_high
    assert data.decision.action == "promote" and "interval" in data.decision.reason
    names = {f.name for f in data.figures}
    assert {"evaluation.png", "coefficients.png", "rollout.png"} <= names
    assert all(f.data_uri.startswith("data:image/png;base64,") for f in data.figures)
    rollout = data.rollout
    assert rollout.state == "promoted" and rollout.ticks and rollout.events
    assert all(event.evidence for event in rollout.events)
    assert data.lineage.data_hash and data.lineage.config_hash
    lock = hashlib.sha256((rolled_out / "requirements.lock").read_bytes()).hexdigest()
    assert data.lineage.image is None and data.lineage.lock_hash == lock

    page = render_report(data)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    # Stored with the run; the first run's report was written when it finished.
    assert project.store.exists("runs/run-1/report.html")
    assert project.store.exists("runs/run-2/report.html")


def test_text_from_the_run_is_escaped(rolled_out: Path) -> None:
    data = build_report(open_workspace(rolled_out), "run-1")
    hostile = data.__class__(**{**data.__dict__, "outcome": "<script>alert(1)</script>"})
    page = render_report(hostile)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_an_unknown_run_names_the_fix(rolled_out: Path) -> None:
    with pytest.raises(StainlessError, match="nothing in the store") as caught:
        build_report(open_workspace(rolled_out), "no-such-run")
    assert "stainless versions" in caught.value.render()


@pytest.mark.integration
@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("STAINLESS_REQUIRE_BROWSER"),
    reason="no /usr/bin/chromium (make test installs it: .ci/browser-setup.sh)",
)
def test_the_report_renders_in_a_real_browser(rolled_out: Path) -> None:
    from playwright.sync_api import sync_playwright

    result = CliRunner().invoke(main, ["report", "run-2", "-C", str(rolled_out)])
    assert result.exit_code == 0, result.output
    path = Path(result.output.split("report: ", 1)[1].splitlines()[0].strip())
    assert path.is_file()

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            for section in SECTIONS:
                assert page.locator(f"#{section}").is_visible(), section
            images = page.eval_on_selector_all(
                "#figures img",
                "imgs => imgs.map(i => ({src: i.src.slice(0, 22), w: i.naturalWidth,"
                " complete: i.complete}))",
            )
            assert len(images) >= 3
            assert all(i["src"] == "data:image/png;base64," for i in images)
            assert all(i["complete"] and i["w"] > 0 for i in images), images
            assert page.locator("#bootstrap").is_visible()
            assert page.locator("#rollout tr.decision").count() >= 1
            assert page.locator("#rollout tr.tick").count() >= 1
            assert "promoted" in page.locator("#summary").inner_text()
            assert "$" in page.locator("#stages").inner_text()
            assert "notional" in page.locator("#stages").inner_text()
            assert "data hash" in page.locator("#lineage").inner_text()
        finally:
            browser.close()
    assert errors == []
    # Self-contained: the page loaded nothing but itself (figures are data: URIs).
    assert [r for r in requests if not r.startswith(("file://", "data:"))] == []


def test_the_template_ships_in_the_wheel(tmp_path: Path) -> None:
    """The template is package data: a wheel built from this checkout must contain it."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("stainless*.whl")  # stainless_ml-*.whl
    with zipfile.ZipFile(wheel) as archive:
        assert "stainless/pipeline/templates/report.html.j2" in archive.namelist()


def test_write_report_stores_and_links_it(rolled_out: Path) -> None:
    project = open_workspace(rolled_out)
    page = write_report(project, "run-1")
    assert page.key == "runs/run-1/report.html" and page.path.is_file()
    assert project.store.get_bytes(page.key).decode() == page.path.read_text()
    assert page.url.startswith("file://")
