"""The subscriber portal in a browser: entered by its link, limited to its subscription,
read-only links show no control, expired and revoked links are refused (CONSOLE.md)."""

from playwright.sync_api import expect

from support import send_delivered, unique, wait_until


def h1(page):
    return page.get_by_role("heading", level=1)


def world(api, receiver):
    app = api.post("/apps", {"name": unique("portal-app")})
    api.post(f"/apps/{app['id']}/event_types", {"name": "invoice.paid", "example": {"total": 9}})
    mine = api.post(f"/apps/{app['id']}/subscriptions", {"name": unique("mine")})
    theirs = api.post(f"/apps/{app['id']}/subscriptions", {"name": unique("theirs")})
    my_endpoint = api.post(f"/subscriptions/{mine['id']}/endpoints",
                           {"url": receiver.url("/ok/portal-mine"), "event_types": ["invoice.paid"]})
    their_endpoint = api.post(f"/subscriptions/{theirs['id']}/endpoints",
                              {"url": receiver.url("/ok/portal-theirs"),
                               "event_types": ["invoice.paid"]})
    message = send_delivered(api, app["id"], {"event_type": "invoice.paid", "data": {"total": 1}}, 2)
    wait_until(lambda: api.get(f"/apps/{app['id']}/messages?status=succeeded")["count"] >= 1,
               timeout=30, what="the deliveries")
    return app, mine, theirs, my_endpoint, their_endpoint, message


def test_a_portal_link_manages_its_own_endpoints(web, api, receiver):
    page = web.page
    app, mine, theirs, my_endpoint, their_endpoint, message = world(api, receiver)
    link = api.post(f"/subscriptions/{mine['id']}/portal_access", {})
    page.goto(link["url"])
    expect(h1(page)).to_have_text("Endpoints")
    cookies = {c["name"]: c for c in web.context.cookies()}
    assert cookies["hookd_portal"]["sameSite"] == "Lax" and cookies["hookd_portal"]["httpOnly"]
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Endpoints")).to_be_visible()
    expect(nav.get_by_role("link", name="Messages")).to_be_visible()
    expect(page.get_by_role("link", name=my_endpoint["url"])).to_be_visible()
    expect(page.get_by_role("link", name=their_endpoint["url"])).to_have_count(0)
    web.shot("portal-endpoints")
    # Create an endpoint: the API's rules (a bad URL is refused with its message).
    page.get_by_label("URL", exact=True).fill("ftp://nope.example")
    page.get_by_role("group", name="Event types").get_by_label("invoice.paid").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("url")
    new_url = receiver.url("/ok/portal-new")
    page.get_by_label("URL", exact=True).fill(new_url)
    page.get_by_role("group", name="Event types").get_by_label("invoice.paid").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(h1(page)).to_have_text(new_url)
    web.shot("portal-endpoint")
    page.get_by_role("button", name="Reveal secret").click()
    assert page.get_by_label("Signing secret").input_value().startswith("whsec_")
    page.get_by_role("link", name="Edit").click()
    expect(h1(page)).to_have_text("Edit endpoint")
    page.get_by_label("Description").fill("from the portal")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("from the portal")).to_be_visible()
    page.get_by_role("button", name="Send test message").click()
    expect(h1(page)).to_have_text("Message")
    expect(page.get_by_role("region", name="Payload")).to_contain_text('"total": 9')
    wait_until(lambda: receiver.received("/ok/portal-new"), what="the portal's test message")
    # The log shows messages to its endpoints only, each with only its deliveries.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(h1(page)).to_have_text("Messages")
    page.get_by_role("link", name=message["id"]).click()
    expect(page.get_by_role("region", name=my_endpoint["url"])).to_be_visible()
    expect(page.get_by_role("region", name=their_endpoint["url"])).to_have_count(0)
    web.shot("portal-message")
    # Another subscription's endpoint is a 404.
    response = web.goto(f"/portal/endpoints/{their_endpoint['id']}")
    assert response.status == 404
    expect(h1(page)).to_have_text("Not found")
    web.goto("/portal/messages")
    web.shot("portal-messages")
    page.get_by_role("button", name="Log out").click()
    response = web.goto("/portal/endpoints")
    assert response.status == 401


def test_a_read_only_link_shows_no_mutating_control(web, api, receiver):
    page = web.page
    app, mine, theirs, my_endpoint, their_endpoint, message = world(api, receiver)
    link = api.post(f"/subscriptions/{mine['id']}/portal_access", {"read_only": True})
    page.goto(link["url"])
    for path in ["/portal/endpoints", f"/portal/endpoints/{my_endpoint['id']}",
                 "/portal/messages", f"/portal/messages/{message['id']}"]:
        web.goto(path)
        names = sorted(set(page.get_by_role("button").all_inner_texts()))
        assert set(names) <= {"Log out", "Filter"}, f"{path}: {names}"
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        expect(page.get_by_label("Signing secret")).to_have_count(0)
    web.shot("portal-read-only")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(web.hookd.base + f"/portal/endpoints/{my_endpoint['id']}/delete",
                               form={"csrf_token": token}, max_redirects=0)
    assert answer.status == 403
    assert api.get(f"/subscriptions/{mine['id']}/endpoints")["count"] == 1


def test_expired_and_revoked_links_are_refused(web, api, receiver):
    page = web.page
    app, mine, *_ = world(api, receiver)
    response = web.goto("/portal/access?token=hkp_made_up")
    assert response.status == 401
    expect(h1(page)).to_have_text("Link expired")
    web.shot("portal-link-expired")
    link = api.post(f"/subscriptions/{mine['id']}/portal_access", {})
    page.goto(link["url"])
    expect(h1(page)).to_have_text("Endpoints")
    # The provider revokes every link from the console.
    console = web.context.browser.new_context()
    try:
        cpage = console.new_page()
        from support import ADMIN_KEY
        cpage.goto(web.hookd.base + "/console/login")
        cpage.get_by_label("API key").fill(ADMIN_KEY)
        cpage.get_by_role("button", name="Log in").click()
        cpage.goto(web.hookd.base + f"/console/subscriptions/{mine['id']}")
        cpage.get_by_label("Expiry (hours)").fill("2")
        cpage.get_by_label("Read only").check()
        cpage.get_by_role("button", name="Create portal link").click()
        minted = cpage.get_by_label("Portal link").input_value()
        assert "/portal/access?token=hkp_" in minted
        cpage.screenshot(path=web.hookd_screenshot("console-portal-link"), full_page=True)
        cpage.get_by_role("button", name="Revoke portal links").click()
        expect(cpage.get_by_role("status")).to_contain_text("revoked")
    finally:
        console.close()
    response = web.goto("/portal/endpoints")
    assert response.status == 401
    expect(h1(page)).to_have_text("Link expired")
    response = page.goto(link["url"])
    assert response.status == 401
