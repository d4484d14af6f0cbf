"""The dashboard in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium,
headless, --no-sandbox) against ``ca-incident serve``'s application on loopback, over the
examples and a seeded Bugzilla cache.

Every page is loaded and photographed (into the test's tmp folder; with
``CA_INCIDENT_DOCS_SCREENSHOTS=DIR`` also the documentation's screenshots), checked for
landmarks, labels, text alternatives and contrast, walked with the keyboard alone, and must log
no console error (a Content-Security-Policy violation is one). Then the paths a user takes:
incident -> finding -> rule, filtering the list, downloading the appendix.

Without a Chromium these tests skip, saying why, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ca_incident.app.dashboard import Dashboard
from ca_incident.bugzilla.settings import Settings
from ca_incident.web.app import create_app

from .helpers import AS_OF, EXAMPLES
from .test_web import CRL_KEY, LATER, SERVER, TLS_KEY, seed_cache

IN_CI = os.environ.get("CI", "").lower() == "true"
DOCS_SCREENSHOTS = os.environ.get("CA_INCIDENT_DOCS_SCREENSHOTS")
"""A folder to write the documentation's screenshots to (docs/ in the repository)."""


def chromium() -> str | None:
    """Debian's Chromium, or another one named by $CHROMIUM or found on the PATH."""
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true, and {reason}: .ci/run installs it with apt-get")
    pytest.skip(f"{reason}; install it ('apt-get install chromium') to run the browser tests")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        _unavailable("no Chromium found (/usr/bin/chromium, $CHROMIUM, or on the PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield found
        found.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _served(board: Dashboard) -> Iterator[str]:
    """The dashboard's application, served by uvicorn on loopback."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(board), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard over the examples and a seeded cache, judged when the CRL example's
    first report is overdue (so that its page has a finding)."""
    cache = tmp_path_factory.mktemp("browser-cache") / "bugzilla.sqlite"
    seed_cache(cache)
    board = Dashboard([EXAMPLES], Settings(url=SERVER, cache=cache), as_of=LATER)
    with _served(board) as url:
        yield url
    board.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    found = context.new_page()
    errors: list[str] = []
    found.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    found.on("pageerror", lambda e: errors.append(str(e)))
    found.console_errors = errors
    yield found
    context.close()


PAGES = {
    "incidents": "/",
    "incident": f"/incidents/{TLS_KEY}",
    "incident-findings": f"/incidents/{CRL_KEY}",
    "bug": "/bugs/1999001",
    "bug-escaped": "/bugs/1999006",
    "reviewer": "/reviewer",
    "related": f"/related?incident={TLS_KEY}",
    "rules": "/rules",
    "rule": "/rules/TL002",
}

ACCESSIBILITY = """
() => {
  const problems = [];
  const one = (selector, what) => {
    const n = document.querySelectorAll(selector).length;
    if (n !== 1) problems.push(`${n} ${what}, expected 1`);
  };
  one("main", "main landmarks");
  one("body > header", "banner (page header)");
  one("body > footer", "contentinfo (page footer)");
  one("h1", "h1 headings");
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("no <title>");
  for (const nav of document.querySelectorAll("nav")) {
    if (!nav.getAttribute("aria-label")) problems.push("a <nav> without aria-label");
  }
  const named = (el) => {
    if (el.getAttribute("aria-label")) return true;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (ids.length) return ids.every((id) => {
      const target = document.getElementById(id);
      return target && target.textContent.trim();
    });
    return el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim());
  };
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!named(el)) problems.push(`unlabelled ${el.tagName} ${el.name || el.id}`);
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.getAttribute("role") !== "img" || !named(svg)) problems.push("an svg without a name");
    const described = document.getElementById(svg.getAttribute("aria-describedby") || "");
    if (!described || !described.textContent.trim()) {
      problems.push("a chart without a text alternative");
    }
    if (!svg.closest("figure").querySelector("details table")) {
      problems.push("a chart without a table");
    }
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("an img without alt");
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!a.textContent.trim() && !a.getAttribute("aria-label")) {
      problems.push(`an empty link ${a.href}`);
    }
  }
  for (const button of document.querySelectorAll("button")) {
    if (!button.textContent.trim() && !button.getAttribute("aria-label")) {
      problems.push("an empty button");
    }
  }
  return problems;
}
"""

CONTRAST = """
() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const luminance = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    let color = [255, 255, 255];
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    for (const layer of layers.reverse()) {
      const a = layer[3];
      color = [0, 1, 2].map((i) => layer[i] * a + color[i] * (1 - a));
    }
    return color;
  };
  const failures = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const text = walker.currentNode;
    const el = text.parentElement;
    if (!text.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const rect = el.getBoundingClientRect();
    const folded = el.closest("[hidden], details:not([open]) > :not(summary)");
    if (!rect.width || !rect.height || folded) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    if (el.closest(".skip") && document.activeElement !== el) continue;
    const inSvg = el instanceof SVGElement;
    const fg = parse(inSvg ? style.fill : style.color);
    if (!fg) continue;
    const bg = background(inSvg ? el.ownerSVGElement : el);
    const a = fg[3];
    const mixed = [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
    const [l1, l2] = [luminance(mixed), luminance(bg)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) {
      const what = `${el.tagName}.${el.className.baseVal ?? el.className}`;
      const shown = text.textContent.trim().slice(0, 40);
      failures.push(`${ratio.toFixed(2)}:1 for '${shown}' (${what})`);
    }
  }
  return {checked, failures};
}
"""

FOCUS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const rect = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {
    tag: el.tagName,
    text: (el.textContent || el.value || "").trim().slice(0, 60),
    href: el.getAttribute("href"),
    visible: rect.width > 0 && rect.height > 0,
    outlined: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}
"""


def _shoot(page: Any, name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_is_accessible_and_is_photographed(
    page: Any, name: str, tmp_path: Path
) -> None:
    response = page.goto(PAGES[name])
    assert response is not None and response.status == 200
    _shoot(page, name, tmp_path / "screenshots")
    assert (tmp_path / "screenshots" / f"{name}.png").stat().st_size > 10_000
    assert page.evaluate(ACCESSIBILITY) == []
    contrast = page.evaluate(CONTRAST)
    assert contrast["checked"] > 10
    assert contrast["failures"] == []
    assert page.console_errors == [], "console errors (a CSP violation is one)"


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_works_with_the_keyboard_alone(page: Any, name: str) -> None:
    """The first Tab reaches the skip link, which moves focus to the content; every focus
    after it is visible and outlined, and Tab walks the whole page without a trap."""
    page.goto(PAGES[name])
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS)
    assert first is not None and first["text"] == "Skip to content" and first["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    seen: list[tuple[str, str, str | None]] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:
            break
        assert focus["visible"] and focus["outlined"], focus
        key = (focus["tag"], focus["text"], focus["href"])
        if seen and key == seen[0]:
            break
        seen.append(key)
    assert any(k[2] == "/api/openapi.json" for k in seen), "Tab never reached the footer"


def test_the_keyboard_opens_an_incident(page: Any) -> None:
    page.goto("/")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == f"/incidents/{TLS_KEY}":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/incidents/{TLS_KEY}")
    assert "OV TLS certificates issued" in page.locator("h1").inner_text()


def test_incident_to_finding_to_rule(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="CRL for OV TLS Issuing CA G2 published 19 hours late").click()
    page.wait_for_url(f"**/incidents/{CRL_KEY}")
    finding = page.locator("ul.findings a.code").first
    code = finding.inner_text()
    finding.click()
    page.wait_for_url(f"**/rules/{code}")
    assert page.locator("h1").inner_text().startswith(code)
    assert page.get_by_text("What it checks").is_visible()
    assert page.console_errors == []


def test_filtering_the_list(page: Any) -> None:
    page.goto("/")
    every = page.locator("#incident-table tbody tr").count()
    assert every == 7
    # The script submits the form as soon as a filter changes.
    page.get_by_label("Stage").select_option("full")
    page.wait_for_url("**/?*stage=full*")
    rows = page.locator("#incident-table tbody tr")
    assert rows.count() == 1 and "organizationalUnitName" in rows.first.inner_text()
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Overdue only").check()
    page.wait_for_url("**/?*overdue=true*")
    assert 0 < page.locator("#incident-table tbody tr").count() < every
    # Find on this page hides rows in place.
    page.goto("/")
    page.get_by_label("Find on this page").fill("Third Root")
    assert page.locator("#incident-table tbody tr:visible").count() == 1
    assert page.get_by_role("status").inner_text() == "1 of 7 rows shown"


def test_sorting_by_a_column(page: Any) -> None:
    page.goto("/")
    page.locator("thead").get_by_role("link", name="CA Owner").click()
    page.wait_for_url("**/?sort=ca")
    cas = page.locator("#incident-table tbody tr td:first-child").all_inner_texts()
    assert cas == sorted(cas, key=str.casefold)
    assert page.locator("th[aria-sort=ascending]").count() == 1


def test_downloading_the_appendix(page: Any, tmp_path: Path) -> None:
    page.goto(f"/incidents/{TLS_KEY}")
    with page.expect_download() as download:
        page.get_by_role("link", name="appendix.csv").click()
    target = tmp_path / "appendix.csv"
    download.value.save_as(target)
    rows = target.read_text(encoding="utf-8").splitlines()
    assert "Certificate SHA-256 hash" in rows[0] and len(rows) == 13


def test_a_chart_table_opens(page: Any) -> None:
    page.goto(f"/incidents/{TLS_KEY}")
    table = page.locator("#revocation-ou-in-subject details table")
    assert not table.is_visible()
    page.get_by_text("Table: Revocation progress: ou-in-subject").click()
    assert table.is_visible() and table.locator("tbody tr").count() == 12


def test_script_in_a_bug_stays_text(page: Any) -> None:
    dialogs: list[str] = []

    def dialog(opened: Any) -> None:
        dialogs.append(opened.message)
        opened.dismiss()

    page.on("dialog", dialog)
    page.goto("/bugs/1999006")
    assert "<script>" in page.locator("h1").inner_text()
    assert page.locator("article.report script, article.report img").count() == 0
    page.goto("/")
    assert dialogs == []


def test_documentation_screenshots(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/dashboard-*.png: the examples and a cache without the hostile bug, written to
    $CA_INCIDENT_DOCS_SCREENSHOTS (else into the test's tmp folder). The examples are named
    from the repository's root, as a user there names them: no path of this machine shows."""
    target = Path(DOCS_SCREENSHOTS).resolve() if DOCS_SCREENSHOTS else tmp_path / "docs"
    target.mkdir(parents=True, exist_ok=True)
    cache = tmp_path / "bugzilla.sqlite"
    seed_cache(cache, hostile=False)
    monkeypatch.chdir(EXAMPLES.parent)
    board = Dashboard([Path(EXAMPLES.name)], Settings(url=SERVER, cache=cache), as_of=AS_OF)
    with _served(board) as url:
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        for name, address, full in (
            ("incidents", "/", True),
            ("incident", f"/incidents/{TLS_KEY}", False),
            ("reviewer", "/reviewer", False),
        ):
            page.goto(address)
            page.screenshot(path=str(target / f"dashboard-{name}.png"), full_page=full)
        page.goto(f"/incidents/{TLS_KEY}")
        page.locator("#problems-heading").scroll_into_view_if_needed()
        page.locator("article.problem").first.screenshot(path=str(target / "dashboard-charts.png"))
        context.close()
    board.close()
    for name in ("incidents", "incident", "reviewer", "charts"):
        assert (target / f"dashboard-{name}.png").stat().st_size > 10_000
