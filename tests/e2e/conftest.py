"""Fixtures of the browser tests: one hookd for the session, a receiver, the admin API, a
fresh browser context per test with a check that nothing loads from another origin."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from support import ADMIN_KEY, SCREENSHOTS, Api, Hookd, Receiver, login

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def hookd():
    server = Hookd()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api(hookd):
    return Api(hookd.base, ADMIN_KEY)


@pytest.fixture(scope="session")
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield b
        b.close()


class Pages:
    """Opens pages in one context and remembers every URL the browser loaded."""

    def __init__(self, browser, hookd, viewport):
        self.hookd = hookd
        self.context = browser.new_context(viewport=viewport, java_script_enabled=True)
        self.context.set_default_timeout(10_000)
        self.loaded = []
        self.context.on("request", lambda r: self.loaded.append(r.url))
        self.page = self.context.new_page()

    def goto(self, path):
        return self.page.goto(self.hookd.base + path)

    def shot(self, name):
        self.page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)

    def hookd_screenshot(self, name):
        return os.path.join(SCREENSHOTS, f"{name}.png")

    def foreign_loads(self):
        return [u for u in self.loaded
                if not u.startswith(self.hookd.base) and not u.startswith("data:")]


def _pages(browser, hookd, viewport):
    pages = Pages(browser, hookd, viewport)
    yield pages
    foreign = pages.foreign_loads()
    pages.context.close()
    assert foreign == [], f"loaded from another origin: {foreign}"


@pytest.fixture
def web(browser, hookd):
    yield from _pages(browser, hookd, {"width": 1280, "height": 800})


@pytest.fixture
def phone(browser, hookd):
    yield from _pages(browser, hookd, {"width": 390, "height": 844})


@pytest.fixture
def console(web):
    login(web)
    return web
