"""Console login, logout, sessions, CSRF and the security headers (CONSOLE.md "Auth")."""

from playwright.sync_api import expect

from support import ADMIN_KEY, login, unique

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def test_without_a_session_every_console_page_goes_to_the_login(web):
    response = web.goto("/console/apps")
    assert web.page.url.endswith("/console/login")
    assert response.status == 200
    page = web.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("main").count() == 1
    web.shot("login")


def test_a_wrong_key_is_refused_with_an_alert(web):
    page = web.page
    web.goto("/console/login")
    page.get_by_label("API key").fill("hk_not_a_key")
    with page.expect_response(lambda r: r.url.endswith("/console/login")
                              and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    web.shot("login-refused")


def test_login_then_logout(web):
    page = web.page
    login(web)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Apps")).to_be_visible()
    expect(nav.get_by_role("link", name="API keys")).to_be_visible()
    cookies = {c["name"]: c for c in web.context.cookies()}
    session = cookies["hookd_console"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/console"
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    web.goto("/console/apps")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_every_answer_carries_the_security_headers(console):
    for path in ["/console/apps", "/console/login", "/console/nowhere", "/assets/console.css"]:
        response = console.page.request.get(console.hookd.base + path)
        headers = response.headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert "server-timing" in headers, path
        if path != "/assets/console.css":
            assert headers["cache-control"] == "no-store", path


def test_unknown_console_page_is_a_404_page(console):
    response = console.goto("/console/nowhere")
    assert response.status == 404
    expect(console.page.get_by_role("heading", level=1)).to_have_text("Not found")
    console.shot("not-found")


def test_a_post_without_its_csrf_token_changes_nothing(console, api):
    name = unique("csrf")
    base = console.hookd.base
    # The browser's own cookies, but no token: refused.
    answer = console.page.request.post(base + "/console/apps", form={"name": name},
                                       max_redirects=0)
    assert answer.status == 403
    # The right token from another origin: refused too.
    token = console.page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = console.page.request.post(base + "/console/apps",
                                       form={"name": name, "csrf_token": token},
                                       headers={"Origin": "http://evil.example"},
                                       max_redirects=0)
    assert answer.status == 403
    names = [a["name"] for a in api.get("/apps?limit=250")["models"]]
    assert name not in names
    # The same post from the page itself works.
    answer = console.page.request.post(base + "/console/apps",
                                       form={"name": name, "csrf_token": token},
                                       max_redirects=0)
    assert answer.status == 303
    names = [a["name"] for a in api.get("/apps?limit=250")["models"]]
    assert name in names


def test_a_session_ends_with_its_key(web, api):
    key = api.post("/api_keys", {"name": unique("console-key")})
    login(web, key["key"])
    api.call("DELETE", f"/api_keys/{key['id']}")
    web.goto("/console/apps")
    expect(web.page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_the_admin_key_logs_in(web):
    login(web, ADMIN_KEY)
    web.shot("apps-empty")
