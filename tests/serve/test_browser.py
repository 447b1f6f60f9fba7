"""The viewer in a real browser: headless Chromium from the distribution (Debian's chromium and
chromium-driver; CI installs them) loads /, plays 5 steps of a pursuit episode, and the stage list shows the
functions the API returned (and the live teacher-program chose on that seed). Saves a screenshot; set
LD_SCREENSHOT to a .png path to keep one (the README's is made that way)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.serve.conftest import live_states

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IN_CI = os.environ.get("CI") == "true"

if not (CHROMIUM and CHROMEDRIVER) and not IN_CI:  # in CI a missing browser is a failure, never a skip
    pytest.skip(
        "Debian chromium and chromium-driver are not installed (apt-get install chromium chromium-driver); "
        "CI=true makes this a failure",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver") if not IN_CI else __import__("selenium.webdriver").webdriver


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_viewer_plays_five_pursuit_steps(browser, loopback, base_root, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 30)
    browser.get(loopback.url + "/")
    wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("pick a seed"))
    Select(browser.find_element(By.ID, "task")).select_by_value("pursuit")
    seed = browser.find_element(By.ID, "seed")
    seed.clear()
    seed.send_keys("3")
    policies = browser.find_element(By.ID, "policies")
    policies.clear()
    policies.send_keys("teacher-program,heuristic")
    browser.find_element(By.ID, "new").click()
    wait.until(lambda d: "step 0" in d.find_element(By.ID, "status").text)
    for step in range(1, 6):
        browser.find_element(By.ID, "step").click()
        wait.until(lambda d, step=step: f"step {step}" in d.find_element(By.ID, "status").text)

    log = browser.execute_script("return window.ldLog")
    assert [snap["step"] for snap in log] == [0, 1, 2, 3, 4, 5]
    answered = [[s["chosen"] for s in snap["players"][0]["stages"]] for snap in log[1:]]
    # what the page shows for the last step is what the API returned
    section = browser.find_element(By.CSS_SELECTOR, 'section[data-policy="teacher-program"]')
    shown = [li.get_attribute("data-chosen") for li in section.find_elements(By.CSS_SELECTOR, "li.stage")]
    assert shown == answered[-1] and all(shown)
    texts = [e.text for e in section.find_elements(By.CSS_SELECTOR, ".chosen-name")]
    assert texts == answered[-1]
    assert len(section.find_elements(By.CSS_SELECTOR, ".grid .cell")) == 100  # the 10x10 board
    assert browser.find_element(By.CSS_SELECTOR, 'section[data-policy="heuristic"]')
    # and the API returned what the live policy chooses on that seed
    live = live_states("pursuit", [3], base_root, steps=5)
    assert answered == [case["chosen"] for case in live]

    path = os.environ.get("LD_SCREENSHOT") or str(tmp_path / "viewer.png")
    assert browser.save_screenshot(path) and os.path.getsize(path) > 10_000
