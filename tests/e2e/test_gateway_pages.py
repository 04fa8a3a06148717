"""The console's gateway pages in a real browser: a source and its URL, a request sent to it by
the test, connections paused and unpaused, events, another organization's source."""

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import expect

from support import login, unique


def h1(page):
    return page.get_by_role("heading", level=1)


def gateway(console, section):
    console.goto("/console/apps")
    console.page.get_by_role("navigation", name="Main").get_by_role("link", name="Gateway").click()
    if section != "Sources":
        console.page.get_by_role("navigation", name="Gateway").get_by_role(
            "link", name=section).click()
    expect(h1(console.page)).to_have_text(section)


def make_source(console, name):
    page = console.page
    gateway(console, "Sources")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create source").click()
    expect(h1(page)).to_have_text(name)
    return page.get_by_label("Source URL").input_value()


def post(url, body, headers=None):
    """What a provider does: a POST to the source URL, outside the browser."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def test_a_source_its_url_and_the_request_sent_to_it(console):
    page = console.page
    gateway(console, "Sources")
    name = unique("shop")
    url = make_source(console, name)
    assert re.fullmatch(rf"{re.escape(console.hookd.base)}/e/src_[0-9a-f]{{32}}", url), url
    console.shot("gateway-source")
    status, answer = post(url + "/orders", {"order": "A-17"}, {"X-Shop": "tea"})
    assert status == 200, answer
    request_id = answer["request_id"]

    gateway(console, "Requests")
    page.get_by_label("Status").select_option("accepted")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=request_id).click()
    expect(h1(page)).to_have_text("Request")
    expect(page.get_by_role("cell", name="x-shop")).to_be_visible()
    expect(page.get_by_role("cell", name="tea", exact=True)).to_be_visible()
    expect(page.get_by_text('"order": "A-17"')).to_be_visible()
    console.shot("gateway-request")

    # Disabled here, the URL rejects; the rejected filter shows why.
    gateway(console, "Sources")
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("disabled", exact=True)).to_be_visible()
    status, answer = post(url, {})
    assert status == 403 and answer["code"] == "SOURCE_DISABLED", answer
    gateway(console, "Requests")
    page.get_by_label("Status").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=answer["data"]["request_id"])).to_be_visible()
    expect(page.get_by_role("link", name=request_id)).to_have_count(0)
    expect(page.get_by_role("cell", name="SOURCE_DISABLED")).to_be_visible()
    console.shot("gateway-requests")
    gateway(console, "Sources")
    console.shot("gateway-sources")
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("enabled", exact=True)).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(h1(page)).to_have_text("Sources")
    expect(page.get_by_role("link", name=name)).to_have_count(0)


def test_a_connection_paused_and_unpaused(console):
    page = console.page
    source = unique("billing")
    make_source(console, source)
    gateway(console, "Destinations")
    destination = unique("ledger")
    page.get_by_label("Name").fill(destination)
    page.get_by_label("URL").fill("https://ledger.example.com/in")
    page.get_by_role("button", name="Create destination").click()
    expect(h1(page)).to_have_text(destination)
    console.shot("gateway-destination")
    gateway(console, "Destinations")
    console.shot("gateway-destinations")

    gateway(console, "Connections")
    page.get_by_label("Name").fill("to-ledger")
    page.get_by_label("Source").select_option(label=source)
    page.get_by_label("Destination").select_option(label=destination)
    page.get_by_label("Rules").fill('[{"type": "retry", "strategy": "linear", "count": 3, '
                                    '"interval": 1000}]')
    page.get_by_role("button", name="Create connection").click()
    expect(h1(page)).to_have_text(f"{source} -> to-ledger")
    expect(page.get_by_role("region", name="Rules")).to_contain_text('"strategy": "linear"')
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("paused", exact=True)).to_be_visible()
    console.shot("gateway-connection-paused")
    page.get_by_role("button", name="Unpause").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.get_by_text("enabled", exact=True)).to_be_visible()
    gateway(console, "Connections")
    row = page.get_by_role("row").filter(has_text=destination)
    expect(row.get_by_role("link", name=source)).to_be_visible()
    expect(row.get_by_role("cell", name="retry", exact=True)).to_be_visible()
    console.shot("gateway-connections")
    gateway(console, "Events")
    console.shot("gateway-events")


def test_another_organizations_source_is_404(web, api, hookd):
    login(web)
    name = unique("mine")
    make_source(web, name)
    source_path = web.page.url.replace(hookd.base, "")
    org = api.post("/organizations", {"name": unique("org")})
    web.page.get_by_role("button", name="Log out").click()
    login(web, org["api_key"])
    response = web.goto(source_path)
    assert response.status == 404
    expect(h1(web.page)).to_have_text("Not found")
    web.goto("/console/sources")
    expect(web.page.get_by_role("link", name=name)).to_have_count(0)


def test_gateway_pages_fit_a_phone(phone):
    login(phone)
    for section in ["sources", "destinations", "connections", "requests", "events"]:
        phone.goto(f"/console/{section}")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{section} scrolls sideways ({width}px)"
        phone.shot(f"phone-gateway-{section}")
