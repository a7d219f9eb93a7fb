"""The chat page in headless Chromium: type a question, watch the answer stream in with its sources.

Needs Debian's chromium and chromium-driver (`.ci/run` installs them). On CI a missing browser is a
failure, not a skip.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_BROWSER = Path(CHROMIUM).exists() and Path(DRIVER).exists()

if not HAVE_BROWSER and os.environ.get("CI"):
    pytest.fail("chromium and chromium-driver are required on CI (apt-get install chromium chromium-driver)", pytrace=False)


@pytest.mark.skipif(not HAVE_BROWSER, reason="chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
def test_chat_page_streams_an_answer_with_sources(server, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,800"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(server["base"] + "/")
        driver.find_element(By.CSS_SELECTOR, "details summary").click()
        driver.find_element(By.ID, "key").send_keys(server["key"])
        driver.find_element(By.ID, "question").send_keys("Nghỉ phép năm bao nhiêu ngày?")
        driver.find_element(By.ID, "send").click()
        answer = WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.CSS_SELECTOR, ".a[data-state='done']")
        )
        sources = answer.find_elements(By.CSS_SELECTOR, ".sources li")
        assert sources and "company/nghi-phep.md" in sources[0].text
        assert "tokens" in answer.find_element(By.CSS_SELECTOR, ".meta").text
        shot = Path(os.environ.get("RAGTUNE_SCREENSHOTS", tmp_path)) / "chat-page.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 1000
    finally:
        driver.quit()
