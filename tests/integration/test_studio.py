"""The studio in a real browser (Debian's Chromium, driven by Playwright) against a
running system: a perfumer pastes a key, submits a brief, watches it progress, reads the
formula with its pyramid, downloads the CSV, meets a failed brief's reason, and does the
same on a phone-sized screen. Screenshots and the page weight go to ARTEFACTS."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Launcher, create_key

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(240)]

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "studio"
WAIT_MS = 90_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

playwright_api = pytest.importorskip("playwright.async_api")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def studio(launch: Launcher, tmp_path: Path) -> tuple[str, str]:
    """A running system's studio URL and an API key of every scope."""
    url = await launch.api()
    await launch.worker("llm", "llm-1")
    await launch.worker("rl", "rl-1", XDG_DATA_HOME=str(tmp_path))
    return f"{url}/", await create_key(launch.database_url)


async def page_weight_kb(page: Any) -> float:
    """KB transferred for the page and everything it loaded (Resource Timing)."""
    transferred = await page.evaluate(
        "() => performance.getEntriesByType('navigation')"
        ".concat(performance.getEntriesByType('resource'))"
        ".reduce((sum, entry) => sum + entry.transferSize, 0)"
    )
    return float(transferred) / 1024


async def enter_key(page: Any, key: str) -> None:
    await page.fill("#api-key", key)
    await page.click("#key-form button")
    await page.wait_for_selector("#key-state:has-text('tenant tests')", timeout=WAIT_MS)


async def test_a_brief_from_the_studio_to_its_formula_chart_and_csv(
    browser: Any, studio: tuple[str, str]
) -> None:
    url, key = studio
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(url, wait_until="load")
    weight = await page_weight_kb(page)
    (ARTEFACTS / "page-weight.json").write_text(json.dumps({"first_load_kb": round(weight, 1)}))
    assert weight < 100, f"the studio's first load transferred {weight:.1f} KB"

    await enter_key(page, key)
    await page.click("button.example >> nth=0")
    await page.click("#submit")
    await page.wait_for_selector("#progress li.done:has-text('Brief interpreted')", timeout=WAIT_MS)
    await page.wait_for_selector("#progress li.done:has-text('Formula optimised')", timeout=WAIT_MS)
    await page.wait_for_selector("#result .formula svg.pyramid", timeout=WAIT_MS)
    assert await page.locator("#result svg.pyramid polygon").count() == 3
    groups = await page.locator("#result tr.group th:first-child").all_inner_texts()
    assert [g.lower() for g in groups] == ["top", "heart", "base"]
    assert "/kg concentrate" in await page.inner_text("[data-panel=cost]")
    assert "Compliant" in await page.inner_text("[data-panel=ifra]")
    await page.screenshot(path=str(ARTEFACTS / "formula-desktop.png"), full_page=True)

    async with page.expect_download() as download_info:
        await page.click("#csv")
    csv_lines = Path(await (await download_info.value).path()).read_text().splitlines()
    assert csv_lines[0] == "material_id,name,role,family,percent,grams"
    assert len(csv_lines) == 1 + await page.locator("#result tbody tr:not(.group)").count()

    await page.click("#pin")
    await page.click("button.example >> nth=1")
    await page.click("#submit")
    await page.wait_for_function(
        "() => new Set([...document.querySelectorAll('#compare.two .formula')]"
        ".map((f) => f.dataset.job)).size === 2",
        timeout=WAIT_MS,
    )
    briefs = await page.locator("#compare .formula > p").all_inner_texts()
    assert briefs[0] != briefs[1], briefs
    await page.screenshot(path=str(ARTEFACTS / "two-formulas.png"), full_page=True)

    await page.fill("#timesteps", "4096")
    await page.click("#training-form button[type=submit]")
    await page.wait_for_selector("#training-state:has-text('completed')", timeout=WAIT_MS)
    for series in ("mean_return", "entropy", "best_objective"):
        assert await page.locator(f"#curves polyline[data-series={series}]").count() == 1
    await page.locator("#training").screenshot(path=str(ARTEFACTS / "training.png"))

    await page.fill("#brief", "please write me a poem about the sea")
    await page.click("#submit")
    await page.wait_for_selector("#error:has-text('asks for a poem, not a scent')", timeout=WAIT_MS)
    assert await page.locator("#progress li.failed").count() == 1
    await page.screenshot(path=str(ARTEFACTS / "failed-brief.png"), full_page=True)

    phone = await browser.new_page(**PHONE)
    await phone.goto(url)
    await enter_key(phone, key)
    await phone.click("#jobs li[data-kind=formulation]:has-text('succeeded')")
    await phone.wait_for_selector("#result .formula svg.pyramid", timeout=WAIT_MS)
    overflow = await phone.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone's screen"
    await phone.screenshot(path=str(ARTEFACTS / "formula-phone.png"), full_page=True)
