"""Browser tests: Debian's Chromium driven by Playwright against a live server on localhost.

Skipped (with the reason) when Chromium or Playwright is missing, so `make test` still runs on a bare
machine; CI installs Chromium and runs them.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _InFlight:
    """Counts the requests being answered, so the test can wait for the last one to finish: a request
    still writing when the next test's data is made (its tables cleared, ids reused) would write into it."""

    def __init__(self, app):
        self.app, self.count, self.idle = app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.count += 1
        try:
            answer = self.app(environ, start_response)
            try:
                return list(answer)  # the whole body, before it counts as done
            finally:
                if hasattr(answer, "close"):  # as a WSGI server must
                    answer.close()
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout)


@pytest.fixture
def live_server(app):
    served = _InFlight(app)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    assert served.wait_until_idle(60), "a request to the live server was still running 60 s after the test"


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
