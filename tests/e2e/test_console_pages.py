"""Every console page and button of CONSOLE.md, in a real browser, as a person uses them."""

import re

from playwright.sync_api import expect

from support import ADMIN_KEY, Api, login, send_delivered, unique, wait_until


def h1(page):
    return page.get_by_role("heading", level=1)


def make_app(console, name):
    page = console.page
    console.goto("/console/apps")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create app").click()
    expect(h1(page)).to_have_text(name)
    return page.url.rstrip("/").split("/")[-1]


def test_apps_list_create_and_a_duplicate_name(console):
    page = console.page
    name = unique("shop")
    app_id = make_app(console, name)
    app_nav = page.get_by_role("navigation", name="App")
    for link in ["Event types", "Subscriptions", "Messages", "Tasks", "Health"]:
        expect(app_nav.get_by_role("link", name=link)).to_be_visible()
    console.shot("app-overview")
    console.goto("/console/apps")
    expect(h1(page)).to_have_text("Apps")
    expect(page.get_by_role("columnheader", name="Name")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Created")).to_be_visible()
    page.get_by_role("link", name=name).click()
    expect(page).to_have_url(re.compile(app_id))
    # The same name again: 409 from the API, shown on the form with the typed value kept.
    console.goto("/console/apps")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_role("alert")).to_contain_text("exists already")
    expect(page.get_by_label("Name")).to_have_value(name)
    console.shot("apps")


def test_event_types_with_schema_and_example(console, api):
    page = console.page
    app_id = make_app(console, unique("types"))
    page.get_by_role("navigation", name="App").get_by_role("link", name="Event types").click()
    expect(h1(page)).to_have_text("Event types")
    expect(page.get_by_text("No event types yet")).to_be_visible()
    console.shot("event-types-empty")
    page.get_by_label("Name").fill("order.paid")
    page.get_by_label("Description").first.fill("An order was paid")
    page.get_by_label("Schema").first.fill('{"type": "object", "required": ["amount"]}')
    page.get_by_label("Example").first.fill('{"note": "no amount"}')
    page.get_by_role("button", name="Create event type").click()
    # The example does not satisfy the schema: 422, the API's message, values kept.
    expect(page.get_by_role("alert")).to_contain_text("example does not match the schema")
    expect(page.get_by_label("Name")).to_have_value("order.paid")
    page.get_by_label("Example").first.fill('{"amount": 12}')
    page.get_by_role("button", name="Create event type").click()
    expect(page.get_by_role("cell", name="order.paid")).to_be_visible()
    expect(page.get_by_role("cell", name="An order was paid")).to_be_visible()
    stored = api.get(f"/apps/{app_id}/event_types/order.paid")
    assert stored["example"] == {"amount": 12}
    # Save a change of the description.
    section = page.get_by_role("region", name="order.paid", exact=True)
    section.get_by_label("Description").fill("Paid in full")
    section.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Paid in full")).to_be_visible()
    assert api.get(f"/apps/{app_id}/event_types/order.paid")["description"] == "Paid in full"
    console.shot("event-types")


def setup_app(api, receiver, fail=False):
    """An app with two event types (one with an example) and a subscription."""
    app = api.post("/apps", {"name": unique("app")})
    api.post(f"/apps/{app['id']}/event_types",
             {"name": "user.created", "example": {"user": "ada"}})
    api.post(f"/apps/{app['id']}/event_types", {"name": "user.deleted"})
    sub = api.post(f"/apps/{app['id']}/subscriptions", {"name": unique("acme")})
    return app, sub


def test_subscriptions_and_the_endpoint_lifecycle(console, api, receiver):
    page = console.page
    app, _ = setup_app(api, receiver)
    console.goto(f"/console/apps/{app['id']}/subscriptions")
    sub_name = unique("globex")
    page.get_by_label("Name").fill(sub_name)
    page.get_by_role("button", name="Create subscription").click()
    expect(h1(page)).to_have_text(sub_name)
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    # A bad URL: 422 with the API's message and the values kept.
    page.get_by_label("URL", exact=True).fill("ftp://nope.example")
    page.get_by_role("group", name="Event types").get_by_label("user.created").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("url")
    expect(page.get_by_label("URL", exact=True)).to_have_value("ftp://nope.example")
    console.shot("subscription")
    url = receiver.url("/ok/lifecycle")
    page.get_by_label("URL", exact=True).fill(url)
    page.get_by_label("Description").fill("main receiver")
    page.get_by_role("group", name="Event types").get_by_label("user.created").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(h1(page)).to_have_text(url)
    console.shot("endpoint")
    # Disable, then enable.
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("disabled", exact=True)).to_be_visible()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("enabled", exact=True)).to_be_visible()
    # Reveal, then rotate: a new secret.
    page.get_by_role("button", name="Reveal secret").click()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("status")).to_contain_text("rotated")
    rotated = page.get_by_label("Signing secret").input_value()
    assert rotated.startswith("whsec_") and rotated != secret
    # Edit: add the second event type.
    page.get_by_role("link", name="Edit").click()
    expect(h1(page)).to_have_text("Edit endpoint")
    page.get_by_role("group", name="Event types").get_by_label("user.deleted").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("user.created, user.deleted")).to_be_visible()
    # Send a test message: the type's example, to this endpoint; lands on the message.
    page.get_by_label("Event type").select_option("user.created")
    page.get_by_role("button", name="Send test message").click()
    expect(h1(page)).to_have_text("Message")
    expect(page.get_by_role("region", name="Payload")).to_contain_text('"user": "ada"')
    wait_until(lambda: receiver.received("/ok/lifecycle"), what="the test message")
    # The subscription lists it; then delete it.
    sub_url = page.url
    page.go_back()
    page.go_back()
    console.goto(f"/console/apps/{app['id']}/subscriptions")
    row = page.get_by_role("row").filter(has_text=sub_name)
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    row.get_by_role("link", name=sub_name).click()
    page.get_by_role("link", name=url).click()
    page.get_by_role("button", name="Delete").click()
    expect(h1(page)).to_have_text(sub_name)
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    assert sub_url


def test_messages_log_filters_pages_and_retry(console, api, receiver):
    page = console.page
    app, sub = setup_app(api, receiver)
    ok = api.post(f"/subscriptions/{sub['id']}/endpoints",
                  {"url": receiver.url("/ok/log"), "event_types": ["user.created"]})
    bad = api.post(f"/subscriptions/{sub['id']}/endpoints",
                   {"url": receiver.url("/fail/log"), "event_types": ["user.deleted"]})
    console.goto(f"/console/apps/{app['id']}/messages")
    expect(page.get_by_text("No messages yet")).to_be_visible()
    console.shot("messages-empty")
    sent = [api.post(f"/apps/{app['id']}/messages",
                     {"event_type": "user.created", "data": {"n": i}}) for i in range(52)]
    failing = api.post(f"/apps/{app['id']}/messages",
                       {"event_type": "user.deleted", "data": {"bye": True}})
    wait_until(lambda: api.get(f"/apps/{app['id']}/messages?status=failed")["count"] == 1,
               timeout=30, what="the failing delivery to fail")
    console.goto(f"/console/apps/{app['id']}/messages")
    for column in ["Message", "Event type", "Status", "Created"]:
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    rows = page.get_by_role("row")
    expect(rows).to_have_count(51)  # header + 50
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("row")).to_have_count(4)
    expect(page.get_by_role("link", name=sent[0]["id"])).to_be_visible()
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_role("row")).to_have_count(51)
    expect(page.get_by_role("link", name=failing["id"])).to_be_visible()
    console.shot("messages")
    # Filters: status failed shows the one failing message.
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("cell", name="failed")).to_be_visible()
    page.get_by_label("Status").select_option("")
    page.get_by_label("Event type").select_option("user.deleted")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_label("Event type").select_option("")
    page.get_by_label("From").fill("2001-01-01T00:00")
    page.get_by_label("To").fill("2001-01-02T00:00")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No messages match these filters")).to_be_visible()
    # Retry failed with the filter of the page.
    console.goto(f"/console/apps/{app['id']}/messages?status=failed")
    before = len(receiver.received("/fail/log"))
    page.get_by_role("button", name="Retry failed").click()
    expect(page.get_by_role("status")).to_contain_text("1 failed deliveries scheduled again")
    wait_until(lambda: len(receiver.received("/fail/log")) > before, what="the retry")
    # The message page: payload, the delivery's region named by its URL, attempts.
    console.goto(f"/console/messages/{failing['id']}")
    expect(page.get_by_role("region", name="Payload")).to_contain_text('"bye": true')
    delivery = page.get_by_role("region", name=bad["url"])
    attempts = delivery.get_by_role("table", name="Attempts")
    for column in ["Attempt", "Status code", "Duration", "Response", "Time"]:
        expect(attempts.get_by_role("columnheader", name=column)).to_be_visible()
    expect(attempts.get_by_role("cell", name="500").first).to_be_visible()
    wait_until(lambda: api.get(f"/apps/{app['id']}/messages?status=failed")["count"] == 1,
               timeout=30, what="the retried delivery to fail again")
    console.goto(f"/console/messages/{failing['id']}")
    count = page.get_by_role("region", name=bad["url"]).get_by_role("row").count()
    tried = len(receiver.received("/fail/log"))
    page.get_by_role("button", name="Retry").click()
    wait_until(lambda: len(receiver.received("/fail/log")) > tried, timeout=30,
               what="the single retry")
    wait_until(lambda: api.get(f"/apps/{app['id']}/messages?status=failed")["count"] == 1,
               timeout=30, what="the retried delivery to fail again")
    console.goto(f"/console/messages/{failing['id']}")
    expect(page.get_by_role("region", name=bad["url"]).get_by_role("row")).not_to_have_count(count)
    console.shot("message")
    assert ok["id"]


def test_tasks_cancel(console, api, receiver):
    page = console.page
    app, _ = setup_app(api, receiver)
    console.goto(f"/console/apps/{app['id']}/tasks")
    expect(page.get_by_text("No tasks")).to_be_visible()
    api.post(f"/apps/{app['id']}/tasks", {"event_type": "user.created", "data": {},
                                          "scheduled_run_time": "2099-01-01T00:00:00Z"})
    page.reload()
    for column in ["Event type", "Status", "Scheduled", "Created"]:
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    expect(page.get_by_role("cell", name="scheduled")).to_be_visible()
    console.shot("tasks")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("cell", name="cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)


def test_api_keys_create_once_and_revoke(console, hookd):
    page = console.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    expect(h1(page)).to_have_text("API keys")
    name = unique("ci")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create API key").click()
    key = page.get_by_label("New API key").input_value()
    assert key.startswith("hk_")
    console.shot("api-keys")
    status, _ = Api(hookd.base, key).call("GET", "/apps")
    assert status == 200
    console.goto("/console/api_keys")
    expect(page.get_by_label("New API key")).to_have_count(0)
    page.get_by_role("row").filter(has_text=name).get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.get_by_role("cell", name=name)).to_have_count(0)
    status, _ = Api(hookd.base, key).call("GET", "/apps")
    assert status == 401


def test_another_organizations_pages_are_404(web, api, receiver):
    app, sub = setup_app(api, receiver)
    endpoint = api.post(f"/subscriptions/{sub['id']}/endpoints",
                        {"url": receiver.url("/ok/other"), "event_types": ["user.created"]})
    message = api.post(f"/apps/{app['id']}/messages", {"event_type": "user.created", "data": {}})
    org = api.post("/organizations", {"name": unique("org")})
    login(web, org["api_key"])
    for path in [f"/console/apps/{app['id']}", f"/console/apps/{app['id']}/messages",
                 f"/console/subscriptions/{sub['id']}",
                 f"/console/subscriptions/{sub['id']}/endpoints/{endpoint['id']}",
                 f"/console/messages/{message['id']}"]:
        response = web.goto(path)
        assert response.status == 404, path
        expect(h1(web.page)).to_have_text("Not found")


def test_pages_fit_a_phone(phone, api, receiver):
    app, sub = setup_app(api, receiver)
    login(phone, ADMIN_KEY)
    for name, path in [("phone-apps", "/console/apps"),
                       ("phone-subscription", f"/console/subscriptions/{sub['id']}"),
                       ("phone-messages", f"/console/apps/{app['id']}/messages")]:
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
        phone.shot(name)


def test_delivery_health(console, api, receiver):
    page = console.page
    app, sub = setup_app(api, receiver)
    api.post(f"/subscriptions/{sub['id']}/endpoints",
             {"url": receiver.url("/ok/health"), "event_types": ["user.created"]})
    fail = api.post(f"/subscriptions/{sub['id']}/endpoints",
                    {"url": receiver.url("/fail/health"), "event_types": ["user.created"]})
    message = send_delivered(api, app["id"], {"event_type": "user.created", "data": {}}, 2)
    # send_delivered sends again while the router's view lacks an endpoint, so an earlier
    # message may have tries too: the figures expected are read once every try has ended
    # (the earlier message's end first: it was sent at least 3 s before, its tries take 2 s).
    wait_until(lambda: sorted(d["status"] for d in
                              api.get(f"/messages/{message['id']}/deliveries")["models"])
               == ["failed", "succeeded"], timeout=30, what="1 success and 3 failed tries")
    fail_attempts = api.get(f"/endpoints/{fail['id']}/stats")["totals"]["attempts"]
    totals = api.get(f"/apps/{app['id']}/stats")["totals"]
    assert fail_attempts % 3 == 0 and fail_attempts > 0, fail_attempts
    console.goto(f"/console/apps/{app['id']}")
    page.get_by_role("navigation", name="App").get_by_role("link", name="Health").click()
    expect(h1(page)).to_have_text("Delivery health")
    expect(page.get_by_role("img", name="Success rate")).to_be_visible()
    expect(page.get_by_role("img", name="Latency")).to_be_visible()
    for column in ["Endpoint", "Attempts", "Success rate", "Latency p50", "Latency p95"]:
        expect(page.get_by_role("columnheader", name=column, exact=True).first).to_be_visible()
    row = page.get_by_role("row").filter(has_text="/fail/health")
    expect(row.get_by_role("cell").nth(1)).to_have_text(str(fail_attempts))
    expect(row.get_by_role("cell").nth(2)).to_have_text("0.0%")
    ok_row = page.get_by_role("row").filter(has_text="/ok/health")
    expect(ok_row.get_by_role("cell").nth(2)).to_have_text("100.0%")
    console.shot("health")
    page.get_by_role("link", name="Last day").click()
    expect(page.get_by_role("link", name="Last day")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("paragraph").filter(
        has_text=f"{totals['attempts']} attempts, {totals['succeeded']} succeeded")).to_be_visible()
    console.shot("health-day")
