"""The brief in a real browser: no sideways scrolling at 800 and 1280 px, and every scenario on A4 paper.

Runs when Chromium and the ``browser`` extra (playwright, pypdf) are installed, and skips otherwise (CI has
neither): ``make check-report`` installs the extra and runs it. Playwright drives the system's Chromium
(``REPATSIM_CHROMIUM``, else ``chromium`` on the PATH); it never downloads a browser. The brief checked is a
synthetic six-scenario comparison with long names, plus the report named by ``REPATSIM_BRIEF_REPORT`` when
set (``make check-report`` names the demo's, ``results/demo-2025/report.html``, when it exists).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import unicodedata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser extra is not installed (make check-report)")
pypdf = pytest.importorskip("pypdf", reason="the browser extra is not installed (make check-report)")


def _chromium() -> str | None:
    for candidate in (os.environ.get("REPATSIM_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")

WIDTHS = (800, 1280)
NAMES = ("Baseline 2025", "Pre-agreed consular SOPs & a safe fund <fast track for everyone>", "Shared database",
         "IOM-coordinated safe fund paying every ticket home from day zero", "Rapid-response NRM teams",
         "All recommendations together, with a name long enough to wrap in narrow columns")


def _squash(text: str) -> str:
    """Text compared without spaces, line breaks or ligatures (a PDF may split a long name over lines)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def briefs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, list[str]]]:
    """(report.html, the scenario names it must show) for the synthetic brief and REPATSIM_BRIEF_REPORT."""
    from test_plots import write_compare

    import sim.report

    folder = write_compare(tmp_path_factory.mktemp("browser") / "six", names=NAMES)
    out = [(sim.report.write_report(folder), list(NAMES))]
    named = os.environ.get("REPATSIM_BRIEF_REPORT")
    if named:
        path = Path(named).resolve()
        manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
        out.append((path, [str(s["name"]) for s in manifest.get("scenarios", [])]))
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_no_sideways_scrolling_at_800_and_1280_px(browser, briefs) -> None:
    for path, _ in briefs:
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(path.as_uri())
            overflow = page.evaluate("""() => {
                const root = document.documentElement;
                const wide = Array.from(document.querySelectorAll('body *'))
                    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                    .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className);
                return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide};
            }""")
            page.close()
            assert overflow["scroll"] <= overflow["client"], (path, width, overflow)
            assert not overflow["wide"], (path, width, overflow)


def test_every_scenario_is_in_the_printed_a4_pdf(browser, briefs, tmp_path: Path) -> None:
    for k, (path, names) in enumerate(briefs):
        page = browser.new_page()
        page.goto(path.as_uri())
        pdf = tmp_path / f"brief-{k}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        page.close()
        reader = pypdf.PdfReader(str(pdf))
        pages = [_squash(p.extract_text() or "") for p in reader.pages]
        print(f"\n{path}: {len(reader.pages)} A4 pages")
        assert len(reader.pages) >= 2
        text = "".join(pages)
        # the scorecard: its pages name every scenario (the whole scorecard prints, no column cut off)
        start = next(i for i, t in enumerate(pages) if _squash("Scorecard") in t)
        card = "".join(pages[start:start + 2])
        for name in names:
            assert _squash(name) in card, (path, name)
            assert text.count(_squash(name)) >= 3, (path, name)  # scorecard, results table, settings
        # every scenario column of the results table prints: each is named again after the scorecard
        results = next(i for i, t in enumerate(pages) if _squash("Every result") in t and i > start)
        rest = "".join(pages[results:])
        for name in names:
            assert _squash(name) in rest, (path, name)
