"""Report pages: offline HTML that share one copy of plotly.js per folder.

Every page ketasim writes (``plot.html``, ``report.html``, ``fc.html``, the validation and forecast reports) loads
plotly.js from ``plotly-<version>.min.js`` beside it, which `write_page` writes once per folder (about 4.6 MB, where
each page used to inline its own copy). The pages open from the file system without a network; a page copied
without the file says so where its plots would be.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from ketasim.result_files import write_text
from ketasim.version import __version__

CONTEXT = "Research and education tool: a model, not medical advice."
PLOT_CONFIG = {"responsive": True, "displaylogo": False}
_NUMERIC = ' class="num"'

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; }
main { max-width: 980px; margin: 0 auto; padding: 0.75rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.context { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { width: 40%; font-weight: 600; }
.badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.6rem; color: #fff; font-weight: 600;
         font-size: 0.8rem; white-space: nowrap; }
.pass { background: #2e7d32; } .fail { background: #c62828; } .error { background: #6d4c41; }
.error-text { color: #6d4c41; white-space: pre-wrap; }
.plot { width: 100%; overflow: hidden; }
.missing-plotly { background: #fdecea; border-left: 4px solid #c62828; padding: 0.5rem 0.75rem; }
a { overflow-wrap: anywhere; }
@media (max-width: 600px) {
  main { padding: 0.4rem; } h1 { font-size: 1.2rem; }
  table.data { width: 100%; }
  table.data thead { display: none; }
  table.data tr { display: block; border-bottom: 1px solid #bbb; padding: 0.3rem 0; }
  table.data td { display: flex; justify-content: space-between; gap: 1rem; border: none; padding: 0.1rem 0.3rem;
                  text-align: right; white-space: normal; }
  table.data td::before { content: attr(data-label); font-weight: 600; text-align: left; }
}
"""


def data_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A table of data: ``header`` as text, ``rows`` as HTML cells (escaped by the caller), the ``numeric`` columns
    right-aligned. On a phone-sized screen each row becomes a block of labelled lines, so nothing is cut off."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td data-label="{html.escape(header[i])}"{_NUMERIC if i in numeric else ""}>{cell}</td>'
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def plotly_file_name() -> str:
    """The name of the shared plotly.js file: ``plotly-<plotly.js version>.min.js``."""
    return f"plotly-{get_plotlyjs_version()}.min.js"


def figure_html(figure: go.Figure) -> str:
    """A figure as an HTML fragment that uses the plotly.js the page loads."""
    return str(figure.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG))


def offline_page(title: str, body: str) -> str:
    """A complete HTML page that loads the shared plotly.js beside it, with the context-of-use note."""
    script = plotly_file_name()
    missing = (
        f'<p class="missing-plotly" id="missing-plotly" hidden>The plots on this page need the file '
        f"{html.escape(script)}, which ketasim writes beside it: keep the two files in the same folder.</p>"
        "<script>if (!window.Plotly) document.getElementById('missing-plotly').hidden = false;</script>"
    )
    return "\n".join(
        (
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{CSS}</style>",
            f'<script src="{html.escape(script)}"></script>',
            "</head>",
            "<body><main>",
            missing,
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="context">{html.escape(CONTEXT)} ketasim {html.escape(__version__)}.</p>',
            body,
            "</main></body>",
            "</html>",
        )
    )


def write_plotly(folder: Path) -> Path:
    """Write the shared plotly.js into ``folder`` unless an identical copy is there; return its path."""
    path = folder / plotly_file_name()
    script = get_plotlyjs()
    if not path.exists() or path.stat().st_size != len(script.encode("utf-8")):
        write_text(path, script)
    return path


def write_page(path: str | Path, title: str, body: str) -> Path:
    """Write an offline page and the shared plotly.js beside it (folders created), each completely or not at all
    (`ketasim.result_files.write_text`); return the page's path.

    Raises
    ------
    OutputError
        When a file cannot be written (disk full, no permission), naming it.
    """
    out = Path(path)
    write_plotly(out.parent)
    return write_text(out, offline_page(title, body))
