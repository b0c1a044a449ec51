"""The evidence of a monitoring check: figures, the HTML report and the alerts."""

from __future__ import annotations

import base64
import io
from typing import Any

from stainless.monitoring.drift import FeatureDrift
from stainless.monitoring.slo import SloResult
from stainless.pipeline.monitor_result import MonitorResult
from stainless.workspace import Workspace as Project


def drift_figure(feature: FeatureDrift) -> bytes:
    """Reference vs current shares per bin/category, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(feature.cells)
    pairs = zip(feature.reference_shares, feature.current_shares, strict=True)
    keep = [i for i, (r, c) in enumerate(pairs) if r > 0 or c > 0]
    width = 0.4
    figure, axis = plt.subplots(figsize=(7, 3.2), dpi=100)
    xs = range(len(keep))
    axis.bar(
        [x - width / 2 for x in xs],
        [feature.reference_shares[i] for i in keep],
        width,
        label="reference (training)",
        color="#8da0cb",
    )
    axis.bar(
        [x + width / 2 for x in xs],
        [feature.current_shares[i] for i in keep],
        width,
        label="current (traffic)",
        color="#fc8d62",
    )
    axis.set_xticks(list(xs), [labels[i] for i in keep], rotation=30, ha="right", fontsize=7)
    axis.set_ylabel("share of rows")
    axis.set_title(feature.summary(), fontsize=9)
    axis.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def render_report(result: MonitorResult) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("stainless.pipeline", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    template = environment.get_template("monitor_report.html.j2")
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in result.figures.items()
    }
    return template.render(result=result, drift=result.drift, images=images)


def _titled(title: str, note: str) -> str:
    """An alert's title, with why it is sent again in an episode (new columns, a reminder)."""
    return f"{title} ({note})" if note else title


def drift_alert(project: Project, result: MonitorResult, note: str = "") -> None:
    drift = result.drift
    moved = [f for f in [*drift.features, drift.prediction] if f is not None and f.drifted]
    figures_dir = project.work_dir / "monitoring" / result.checked_at.strftime("%Y%m%dT%H%M%SZ")
    figures_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in result.figures.items():
        path = figures_dir / f"drift-{name}.png"
        path.write_bytes(png)
        paths.append(path)
    fields: dict[str, Any] = {
        f.feature: f.summary().split(": ", 1)[1]
        + (f" (since {f.since:%Y-%m-%d %H:%M} UTC)" if f.since else "")
        for f in moved
    }
    fields["rows checked"] = result.rows
    fields["report"] = result.report_url
    names = ", ".join(f.feature for f in moved)
    project.notify(
        "drift",
        _titled(f"Drift in v{result.version} of {project.name}: {names}", note),
        result.run_id,
        fields=fields,
        severity="warning",
        figures=paths,
    )


def slo_alert(project: Project, result: MonitorResult, slo: SloResult, note: str = "") -> None:
    fields: dict[str, Any] = {
        f"{burn.window.severity} ({burn.window.threshold}x)": burn.summary() for burn in slo.burns
    }
    if slo.latency_breached:
        fields["latency p95"] = f"{slo.latency_p95_ms} ms > objective {slo.latency_objective_ms} ms"
    fields["error objective"] = f"{slo.error_objective:.3%} of requests"
    project.notify(
        "slo_burn",
        _titled(
            f"v{result.version} of {project.name} is burning its error budget ({slo.severity})",
            note,
        ),
        result.run_id,
        fields=fields,
        severity="alert" if slo.severity == "page" else "warning",
    )
