"""`repolint report`'s HTML page in a real headless browser (Debian's chromium + chromedriver,
which .ci/run installs; skipped only when they are absent): it renders without console errors
(its Content-Security-Policy forbids any fetch and any script but its own, so an injected one
would show up here as an error and do nothing), the charts have one bar per release, rule and
model_type of the fixture scan, and the search box filters the grid and the findings."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scanfixture import EXPECTED, RECORDS, XSS, finding, record, run_report, verdicts, write_scan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                reason="chromium / chromedriver not installed (.ci/run installs them)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600"]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="repolint-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def report_page(tmp_path: Path, records=RECORDS) -> Path:
    scan = write_scan(tmp_path / "scan.jsonl", records)
    out = tmp_path / "report.html"
    proc = run_report(scan, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def open_page(driver, page: Path) -> list[dict]:
    """Load the page; the browser log entries it produced."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())
    return driver.get_log("browser")


def rows(driver, table: str) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")


def search(driver, text: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "search")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() sends no input event
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)


def test_console_errors_are_seen(browser, tmp_path):
    """The control: a page that logs an error, and one whose script the CSP blocks, are caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\">"
                    "<p>x</p><script>console.error('boom')</script>", encoding="utf-8")
    logs = open_page(browser, page)
    assert [e for e in logs if e["level"] == "SEVERE" and "Content Security Policy" in e["message"]], logs
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom')</script>", encoding="utf-8")
    assert [e for e in open_page(browser, page) if e["level"] == "SEVERE" and "boom" in e["message"]]


def test_renders_without_console_errors_and_runs_no_injected_script(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    logs = open_page(browser, report_page(tmp_path))
    assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == []
    assert browser.title == "repolint scan report"
    assert browser.execute_script("return window.__pwned === undefined")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    # the page's own script ran: it drew every repo and finding
    assert len(rows(browser, "grid")) == EXPECTED["repos"]
    assert len(rows(browser, "findings")) == EXPECTED["findings"]
    messages = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#findings td.msg")]
    assert "evil " + XSS in messages  # shown as text


def test_charts_have_one_bar_per_release_rule_and_model_type(browser, tmp_path):
    from selenium.webdriver.common.by import By

    open_page(browser, report_page(tmp_path))
    for chart, key in (("chart-releases", "release_bars"), ("chart-rules", "rule_bars"),
                       ("chart-model-types", "model_type_bars")):
        bars = browser.find_elements(By.CSS_SELECTOR, f"#{chart} g.bar")
        assert len(bars) == EXPECTED[key], chart
        for bar in bars:  # drawn, with a visible width
            assert bar.find_elements(By.CSS_SELECTOR, "rect") and bar.rect["width"] > 0, chart
    labels = [b.get_attribute("data-label") for b in browser.find_elements(By.CSS_SELECTOR, "#chart-releases g.bar")]
    assert labels == ["4.57", "5.23", "5.24"]
    # 5.24: 2 load, 4 break -> the break segment is twice as wide as the loads one
    loads, breaks = (browser.find_element(By.CSS_SELECTOR, f'#chart-releases g.bar[data-label="5.24"] rect.{c}')
                     for c in ("loads", "breaks"))
    assert breaks.rect["width"] == pytest.approx(2 * loads.rect["width"], rel=0.02)


def test_search_filters_grid_and_findings(browser, tmp_path):
    from selenium.webdriver.common.by import By

    open_page(browser, report_page(tmp_path))
    search(browser, "RL201")
    assert sorted(r.find_element(By.CSS_SELECTOR, "td").text for r in rows(browser, "grid")) == ["acme/bret", "acme/lama@v1"]
    assert len(rows(browser, "findings")) == 2
    search(browser, "unknown bret")  # every word must match
    assert [r.find_elements(By.CSS_SELECTOR, "td")[2].text for r in rows(browser, "findings")] == ["RL201", "RL202"]
    search(browser, "pwned")
    assert len(rows(browser, "findings")) == 1 and len(rows(browser, "grid")) == 1
    search(browser, "no such thing anywhere")
    assert rows(browser, "findings") == [] and rows(browser, "grid") == []
    assert browser.find_element(By.ID, "findings-count").text.startswith("showing 0 of 0 matching")
    search(browser, "")
    assert len(rows(browser, "findings")) == EXPECTED["findings"]
    link = browser.find_element(By.CSS_SELECTOR, "#findings tbody tr td:nth-child(4) a")
    assert link.get_attribute("href").startswith("https://huggingface.co/acme/")
    assert "/blob/" in link.get_attribute("href") and "#L" in link.get_attribute("href")


def test_large_scan_is_paged(browser, tmp_path):
    from selenium.webdriver.common.by import By

    many = [record(f"org/m{i:03d}", "llama", verdicts("L", "L", "B"),
                   [finding("RL701", "transformers-import-missing", "error", "modeling.py", 2, f"missing {i}")])
            for i in range(450)]
    assert [e for e in open_page(browser, report_page(tmp_path, many)) if e["level"] == "SEVERE"] == []
    assert len(rows(browser, "findings")) == 200 and len(rows(browser, "grid")) == 200
    more = browser.find_element(By.ID, "findings-more")
    more.click()
    assert len(rows(browser, "findings")) == 400
    more.click()
    assert len(rows(browser, "findings")) == 450 and not more.is_displayed()
    search(browser, "missing 44")  # both words: m044, m144, m244, m344 and m440..m449
    assert len(rows(browser, "findings")) == 14 and not more.is_displayed()
