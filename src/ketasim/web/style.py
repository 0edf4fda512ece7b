"""The explorer's page shell and style sheet, inlined so the page needs no asset files and no network."""

from __future__ import annotations

CSS = """
:root { --ink: #1f2a33; --muted: #5b6b78; --line: #d9e1e7; --paper: #ffffff; --ground: #f3f6f8;
        --brand: #0b4f6c; --brand-2: #127c8f; --accent: #1565c0; --ok: #2e7d32; --warn: #ef6c00; --bad: #c62828; }
* { box-sizing: border-box; }
body { --Dash-Fill-Interactive-Strong: #127c8f; }
html, body { margin: 0; background: var(--ground); color: var(--ink);
             font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.topbar { background: var(--brand); color: #fff; padding: 0.6rem 1.2rem; display: flex; align-items: baseline;
          gap: 1rem; flex-wrap: wrap; }
.topbar h1 { font-size: 1.25rem; margin: 0; font-weight: 650; letter-spacing: 0.01em; }
.topbar .sub { color: #cfe3ea; font-size: 0.92rem; }
.topbar .version { margin-left: auto; color: #cfe3ea; font-size: 0.8rem; }
.context { background: #fff4e5; border-bottom: 1px solid #f3d7b5; color: #6b3d00; padding: 0.45rem 1.2rem;
           font-size: 0.88rem; }
.shell { display: grid; grid-template-columns: 340px minmax(0, 1fr); gap: 1rem; padding: 1rem 1.2rem;
         max-width: 1500px; margin: 0 auto; }
.sidebar { display: flex; flex-direction: column; gap: 0.8rem; position: sticky; top: 0.6rem; align-self: start;
           max-height: calc(100vh - 1.2rem); overflow-y: auto; padding-right: 2px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 0.9rem; }
.card h2 { font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.07em; color: var(--brand);
           margin: 0 0 0.55rem 0; }
.field { margin-bottom: 0.6rem; }
.field:last-child { margin-bottom: 0; }
.field > label, .field > .label { display: block; font-size: 0.8rem; font-weight: 600; color: var(--muted);
                                  margin-bottom: 0.2rem; }
.row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6rem; }
.hint { font-size: 0.76rem; color: var(--muted); margin-top: 0.15rem; }
input[type=text], input[type=number] { width: 100%; padding: 0.38rem 0.5rem; border: 1px solid #b8c5cf;
        border-radius: 5px; font: inherit; background: #fff; color: var(--ink); }
input[type=text]:focus, input[type=number]:focus { outline: 2px solid #90caf9; border-color: var(--accent); }
input:disabled { background: #eef2f5; color: #8a99a5; }
.radios label { display: inline-flex; align-items: center; gap: 0.25rem; margin: 0 0.7rem 0.25rem 0;
                font-size: 0.88rem; cursor: pointer; }
.presets { display: flex; flex-wrap: wrap; gap: 0.3rem; margin-top: 0.3rem; }
.chip { border: 1px solid #b8c5cf; background: #f7fafc; color: var(--brand); border-radius: 12px;
        padding: 0.1rem 0.55rem; font-size: 0.76rem; cursor: pointer; }
.chip:hover { background: #e3f2f7; }
.actions { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5rem; }
.btn { border-radius: 6px; padding: 0.5rem 0.7rem; font: inherit; font-weight: 600; cursor: pointer;
       border: 1px solid var(--brand); background: #fff; color: var(--brand); text-align: center; }
.btn:hover { background: #eaf4f7; }
.btn-primary { grid-column: 1 / -1; background: var(--brand); color: #fff; font-size: 1rem; padding: 0.6rem; }
.btn-primary:hover { background: #093f57; }
.btn:disabled { opacity: 0.55; cursor: progress; }
.upload { border: 1px dashed #8fa6b5; border-radius: 6px; padding: 0.5rem; text-align: center; color: var(--brand);
          font-weight: 600; cursor: pointer; background: #fff; }
.alert { border-radius: 6px; padding: 0.55rem 0.7rem; font-size: 0.86rem; white-space: pre-wrap; }
.alert-error { background: #fdecea; border: 1px solid #f5c2c0; color: #8e1b16; }
.alert-warn { background: #fff8e1; border: 1px solid #ffe08a; color: #6b4e00; }
.alert-info { background: #e8f4fd; border: 1px solid #b6dcf7; color: #0c4a6e; }
.hidden { display: none; }
.main { display: flex; flex-direction: column; gap: 1rem; min-width: 0; }
.statusbar { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 0.9rem;
             display: flex; flex-direction: column; gap: 0.45rem; position: sticky; top: 0; z-index: 5;
             box-shadow: 0 2px 6px rgba(15, 40, 60, 0.06); }
.statusline { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.actions-card { position: sticky; bottom: 0; z-index: 4; box-shadow: 0 -3px 8px rgba(15, 40, 60, 0.08); }
.narrow { max-width: 320px; }
.statusbar .status { font-weight: 600; color: var(--brand); }
.statusline .window { margin-left: auto; font-size: 0.85rem; }
.statusline .window label { margin-right: 0.7rem; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; }
.panel > h2 { font-size: 1.05rem; margin: 0 0 0.3rem 0; color: var(--ink); }
.subhead { font-size: 0.95rem; margin: 1rem 0 0.3rem 0; }
.lead { color: var(--muted); margin: 0 0 0.6rem 0; max-width: 75ch; }
.with-notes { display: grid; grid-template-columns: minmax(0, 1fr) 280px; gap: 1rem; align-items: start; }
.notes { display: flex; flex-direction: column; gap: 10px; padding-top: 56px; }
.note { border-left: 3px solid var(--brand-2); background: #f5fafb; padding: 0.4rem 0.6rem; border-radius: 0 5px 5px 0;
        font-size: 0.84rem; height: 180px; overflow: auto; }
.note h3 { font-size: 0.86rem; margin: 0 0 0.2rem 0; color: var(--brand); }
.note p { margin: 0; }
.tables table { border-collapse: collapse; font-size: 0.88rem; width: 100%; }
.tables th, .tables td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.55rem; text-align: left;
                         white-space: nowrap; }
.tables th { background: #f3f7f9; color: var(--muted); font-weight: 600; }
.tables td.num { text-align: right; font-variant-numeric: tabular-nums; }
.tables .scroll { overflow-x: auto; }
.tables h4 { margin: 0.9rem 0 0.3rem 0; font-size: 0.92rem; }
.slider-row { display: flex; align-items: center; gap: 0.8rem; margin: 0.4rem 0; }
.slider-row .label { font-size: 0.82rem; color: var(--muted); white-space: nowrap; }
.slider-row > div:last-child { flex: 1; }
.share { display: block; margin-top: 0.5rem; font-size: 0.86rem; color: var(--accent); word-break: break-all; }
.kept { display: flex; flex-direction: column; gap: 0.3rem; margin-top: 0.4rem; font-size: 0.8rem; }
.kept .kept-run { display: flex; gap: 0.4rem; align-items: center; }
.kept .kept-run span { flex: 1; }
.chain { display: flex; flex-wrap: wrap; align-items: stretch; gap: 0.3rem; margin-bottom: 0.5rem; }
.chain .step { border: 1px solid var(--line); border-radius: 6px; padding: 0.3rem 0.5rem; min-width: 92px;
               background: #f7f9fa; color: var(--muted); font-size: 0.8rem; }
.chain .step.lit { border-color: var(--brand-2); background: #e6f4f6; color: var(--ink); }
.chain .step-name { font-weight: 600; }
.chain .step-value { font-variant-numeric: tabular-nums; }
.chain .arrow { align-self: center; color: var(--muted); }
details dt { font-weight: 600; margin-top: 0.3rem; }
details dd { margin: 0 0 0 1rem; color: var(--muted); }
.footer { color: var(--muted); font-size: 0.78rem; text-align: center; padding: 0.5rem 0 1.2rem 0; }
@media (max-width: 1100px) {
  .with-notes { grid-template-columns: 1fr; }
  .notes { padding-top: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
  .note { height: auto; }
}
@media (max-width: 820px) {
  .shell { grid-template-columns: 1fr; padding: 0.6rem; }
  .sidebar { position: static; max-height: none; overflow: visible; }
  .statusbar { position: static; }
  .topbar .version { margin-left: 0; }
}
"""

INDEX = (
    """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
<style>"""
    + CSS
    + """</style>
</head>
<body>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>
"""
)
"""Dash's page template with the style sheet inlined."""
