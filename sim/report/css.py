"""The brief's stylesheet, inline in the page: fits screens from 800 px wide and A4 paper without sideways
scrolling (tables wrap inside the page width instead of scrolling; wide ones are split or transposed by the
page itself), prints every section from a new page, and needs no font or file from the network."""

CSS = """
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       max-width: 1100px; margin: 1.5em auto; padding: 0 1em; line-height: 1.45; overflow-wrap: break-word; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; }
h3 { font-size: 1.08em; margin-bottom: 0.3em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.45em; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; }
th { background: #eef2f5; font-weight: 600; }
th .unit { display: block; font-weight: normal; color: #444; font-size: 0.88em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.diff { background: #fff2cc; }
tr.headline-metric td:first-child { font-weight: 600; }
small, .muted { color: #555; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.86em; overflow-wrap: anywhere; }
figure { margin: 1.2em 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #333; font-size: 0.95em; margin-top: 0.3em; }
nav ul { columns: 2; margin: 0.4em 0; }
details summary { cursor: pointer; color: #0072B2; margin: 0.5em 0; }
footer { margin-top: 3em; border-top: 1px solid #ccc; font-size: 0.85em; color: #444; }
pre { background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85em; }
/* the scorecard: one row per scenario, verdicts in words as well as colour (they survive a grey printer) */
table.scorecard { font-size: 0.86em; }
table.scorecard th:first-child, table.scorecard td:first-child { width: 19%; overflow-wrap: break-word; }
table.scorecard td { text-align: right; font-variant-numeric: tabular-nums; }
table.scorecard td:first-child { text-align: left; font-weight: 600; }
table.scorecard .value { display: block; font-size: 1.12em; font-weight: 600; }
table.scorecard .change, table.scorecard .ci { display: block; }
table.scorecard .change .verdict { margin-top: 0; }
table.scorecard .ci { color: #444; font-size: 0.88em; }
.verdict { display: inline-block; margin-top: 0.15em; padding: 0 0.3em; border-radius: 3px; font-size: 0.88em; }
.better { background: #d9f0e3; color: #0b5130; }
.worse { background: #f9dcd4; color: #7a2510; }
.unclear { background: #eeeeee; color: #333; }
tr.reference td { background: #f6f6f6; }
.findings li { margin: 0.35em 0; }
.answer { border-left: 4px solid #0072B2; padding: 0.5em 0.9em; margin: 0.8em 0; background: #f4f8fb;
          font-size: 1.05em; }
.note { color: #444; font-size: 0.92em; }
dl.glossary { display: grid; grid-template-columns: minmax(6em, max-content) 1fr; gap: 0.25em 1em; }
dl.glossary dt { font-weight: 600; }
dl.glossary dd { margin: 0; }
ol.sources { font-size: 0.86em; color: #333; padding-left: 2.2em; }
sup.fn { font-size: 0.75em; color: #0072B2; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  section.page { break-before: page; page-break-before: always; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 8.5pt; }
  table.scorecard { font-size: 7.6pt; }
  .answer { font-size: 9.5pt; }
  a { color: inherit; text-decoration: none; }
  details > summary { display: none; }
}
"""
