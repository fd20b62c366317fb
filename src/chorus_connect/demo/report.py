"""The demo's HTML report: one self-contained page (inline CSS, no script, no external resource) saying
what happened to each invoice and why. In English, like the CLI and the store's history lines it quotes;
the check findings and the buyers' motifs stay in French, as Chorus Pro and the checks word them."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import TYPE_CHECKING

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from chorus_connect.demo.outcomes import paris

if TYPE_CHECKING:
    from chorus_connect.demo.runner import DemoResult

TEMPLATE = "report.html"


def render_report(result: DemoResult) -> str:
    environment = Environment(autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    environment.filters["paris"] = paris
    environment.filters["commands"] = commands
    template = environment.from_string(
        resources.files("chorus_connect.demo").joinpath(TEMPLATE).read_text(encoding="utf-8")
    )
    stats = result.simulator_stats
    return template.render(
        result=result,
        outcomes=result.outcomes,
        tracking=result.tracking,
        received=result.received_numbers,
        deposits=stats.get("deposits_by_supplier", {}).get(result.supplier_siret, 0),
        requests=sorted(stats.get("requests_by_operation", {}).items()),
        days=(result.ended_at - result.started_at).total_seconds() / 86_400,
        generated=dt.datetime.now(dt.UTC),
    )


def commands(text: str) -> Markup:
    """Text with `chorus …` commands between backticks shown as code (everything else escaped)."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts)))


def write_report(result: DemoResult) -> None:
    result.report_path.write_text(render_report(result), encoding="utf-8")
