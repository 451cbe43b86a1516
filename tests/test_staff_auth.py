"""Staff sign-in: password file, lockout, CSRF, session expiry, and no data for anyone signed out."""

from __future__ import annotations

import stat

import pytest

from kiosk.staff.auth import LoginGuard, PasswordError, PasswordFile, SessionPolicy, attempt_key
from tests.helpers.staff import PASSWORD, csrf_from, login, make_rig, page_token, staff_rig

GET_PAGES = [
    "/staff/",
    "/staff/dashboard",
    "/staff/batches",
    "/staff/statistics",
    "/staff/statistics?day=2026-06-01",
    "/staff/captures",
    "/staff/uploads",
    "/staff/audit",
]
DATA_ENDPOINTS = ["/staff/api/live", "/staff/statistics.csv"]
ACTIONS = [
    "/staff/actions/pause",
    "/staff/actions/resume",
    "/staff/actions/void",
    "/staff/actions/retry",
    "/staff/batches/import",
    "/staff/logout",
]


@pytest.fixture
def rig(tmp_path):
    yield from staff_rig(tmp_path, session_minutes=30, max_login_attempts=3, lockout_minutes=10)


def test_password_file_is_private_and_hashed(tmp_path):
    passwords = PasswordFile(tmp_path / "staff-passwords")
    passwords.set("staff", "s3cret-enough")
    passwords.set("lead", "another-one!")
    text = passwords.path.read_text()
    assert stat.S_IMODE(passwords.path.stat().st_mode) == 0o600
    assert "s3cret-enough" not in text and text.count("scrypt:") == 2
    assert passwords.users() == ["lead", "staff"]
    assert passwords.verify("staff", "s3cret-enough")
    assert not passwords.verify("staff", "s3cret-enougH")
    assert not passwords.verify("nobody", "s3cret-enough")
    before = passwords.fingerprint("staff")
    passwords.set("staff", "a new password")
    assert passwords.fingerprint("staff") != before
    assert passwords.fingerprint("lead") is not None and passwords.fingerprint("nobody") is None


@pytest.mark.parametrize(("user", "password"), [("staff", "short"), ("bad user", "long enough"), ("", "long enough")])
def test_password_file_refuses_weak_or_odd_input(tmp_path, user, password):
    with pytest.raises(PasswordError):
        PasswordFile(tmp_path / "p").set(user, password)


def test_guard_locks_after_max_attempts_and_unlocks_later():
    guard = LoginGuard(max_attempts=3, lockout_s=600)
    key = attempt_key("Staff", "10.0.0.5")

    def attempt(now: float) -> bool:
        assert guard.reserve(key, now) == 0
        return guard.failed(key, now)

    assert not attempt(0)
    assert not attempt(10)
    assert guard.locked_for(key, 11) == 0
    assert attempt(20)  # the third failure locks
    assert guard.reserve(key, 21) == pytest.approx(599)
    assert guard.reserve(attempt_key("staff", "10.0.0.6"), 21) == 0  # the same user elsewhere: not locked
    assert guard.locked_for(key, 621) == 0
    # old failures age out of the window
    attempt(1000)
    attempt(1700)
    assert not attempt(1701)


def test_a_broken_check_gives_its_attempt_back():
    guard = LoginGuard(max_attempts=2, lockout_s=60)
    key = attempt_key("staff", "10.0.0.5")
    for _ in range(5):  # five sign-ins whose password check failed with an error, not a wrong password
        assert guard.reserve(key, 0) == 0
        guard.release(key)
    assert guard.reserve(key, 0) == 0


def test_guard_lockouts_grow_and_staff_can_unlock():
    guard = LoginGuard(max_attempts=2, lockout_s=60)
    key = attempt_key("staff", "10.0.0.5")
    now = 0.0
    waits = []
    for _ in range(4):
        for _ in range(2):
            assert guard.reserve(key, now) == 0
            guard.failed(key, now)
        waits.append(guard.locked_for(key, now))
        now += waits[-1] + 1
    assert waits == [60, 120, 240, 480]
    for _ in range(2):
        guard.reserve(key, now)
        guard.failed(key, now)
    assert guard.locked_for(key, now) == 960
    assert guard.unlock("STAFF") == 1 and guard.reserve(key, now) == 0
    guard.succeeded(key)  # a good sign-in resets the growth
    for _ in range(2):
        guard.reserve(key, now)
        guard.failed(key, now)
    assert guard.locked_for(key, now) == 60


def test_parallel_guesses_get_no_more_tries_than_the_limit():
    """Attempts are reserved before the slow hash: five guesses in flight at once still count as five."""
    guard = LoginGuard(max_attempts=5, lockout_s=600)
    key = attempt_key("staff", "10.0.0.5")
    granted = [guard.reserve(key, 0) == 0 for _ in range(7)]  # seven requests arrive before any finishes
    assert granted == [True] * 5 + [False] * 2


def test_session_policy_expires_after_idle_time():
    passwords_path_free = {"user": "staff"}
    policy = SessionPolicy(idle_s=60)

    class Passwords:
        generations = {"staff": 0}

        def fingerprint(self, user):
            return "fp"

    session: dict = dict(passwords_path_free)
    policy.begin(session, "staff", "fp", now=1000)
    assert policy.check(session, 1059, Passwords()).user == "staff"
    policy.touch(session, 1059)
    assert policy.check(session, 1118, Passwords()).user == "staff"
    assert policy.check(session, 1120, Passwords()).reason == "expired"
    assert policy.check({}, 1000, Passwords()).reason == "none"


def test_sign_in_and_out(rig):
    client = rig.client
    page = client.get("/staff/login")
    assert page.status_code == 200 and "工作人员登录" in page.get_data(as_text=True)
    resp = login(client)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/dashboard")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie
    dash = client.get("/staff/dashboard")
    assert dash.status_code == 200 and "live-initial" in dash.get_data(as_text=True)
    token = csrf_from(dash.get_data(as_text=True))
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/dashboard").status_code == 302
    actions = [(e.who, e.action) for e in rig.console.audit.entries()]
    assert ("staff", "login") in actions and ("staff", "logout") in actions


def test_secure_cookies_when_configured(tmp_path):
    rig = make_rig(tmp_path, secure_cookies=True)
    rig.console.passwords.set("staff", PASSWORD)
    assert "Secure" in login(rig.client).headers["Set-Cookie"]
    rig.console.close()
    rig.close()


def test_wrong_password_then_lockout_even_for_the_right_one(rig):
    client = rig.client
    assert login(client, password="wrong password").status_code == 401
    assert login(client, password="wrong again!").status_code == 401
    third = login(client, password="still wrong")
    assert third.status_code == 429 and "Too many failed sign-ins" in third.get_data(as_text=True)
    locked = login(client)  # the right password, but locked
    assert locked.status_code == 429
    assert client.get("/staff/dashboard").status_code == 302
    rig.clock.advance(10 * 60 + 1)
    assert login(client).status_code == 302
    actions = [e.action for e in rig.console.audit.entries()]
    assert actions.count("login_failed") == 3 and "login_refused_locked" in actions and actions[0] == "login"


def _login_from(client, address: str, password: str = PASSWORD):
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/staff/login", environ_base=env).get_data(as_text=True))
    data = {"user": "staff", "password": password, "csrf_token": token}
    return client.post("/staff/login", data=data, environ_base=env)


def test_guessing_from_other_addresses_cannot_lock_staff_out(rig):
    """Five addresses guessing the staff password lock only themselves; the booth's own laptop still signs in."""
    for n in range(5):
        for _ in range(3):
            _login_from(rig.client, f"10.9.0.{n}", "wrong password")
        assert _login_from(rig.client, f"10.9.0.{n}").status_code == 429
    assert _login_from(rig.client, "10.0.0.2").status_code == 302


def test_post_without_csrf_token_is_refused(rig):
    client = rig.client
    # sign-in itself needs the token
    client.get("/staff/login")
    assert client.post("/staff/login", data={"user": "staff", "password": PASSWORD}).status_code == 400
    login(client)
    assert client.post("/staff/actions/pause").status_code == 400
    assert client.post("/staff/actions/pause", data={"csrf_token": "forged"}).status_code == 400
    rig.booth.step()
    assert not rig.booth.paused
    token = page_token(client)
    assert client.post("/staff/actions/pause", data={"csrf_token": token}).status_code == 302
    rig.booth.step()
    assert rig.booth.paused
    # the header works for scripts' JSON posts
    assert client.post("/staff/actions/resume", headers={"X-CSRF-Token": token}).status_code == 302
    rig.booth.step()
    assert not rig.booth.paused


def test_session_ends_after_inactivity_and_polling_is_not_activity(rig):
    client = rig.client
    login(client)
    rig.clock.advance(29 * 60)
    assert client.get("/staff/api/live").status_code == 200  # polling: does not count as activity
    rig.clock.advance(2 * 60)
    page = client.get("/staff/dashboard")
    assert page.status_code == 302 and "why=expired" in page.headers["Location"]
    assert "自动退出" in client.get(page.headers["Location"]).get_data(as_text=True)
    live = client.get("/staff/api/live")
    assert live.status_code == 401 and "health" not in live.get_data(as_text=True)


def test_activity_keeps_the_session(rig):
    client = rig.client
    login(client)
    for _ in range(4):
        rig.clock.advance(20 * 60)
        assert client.get("/staff/statistics").status_code == 200


def test_a_copied_cookie_stops_working_at_sign_out(rig):
    """The cookie copied before sign-out is replayed afterwards: it no longer pauses the booth."""
    client = rig.client
    login(client)
    token = page_token(client)
    copied = client.get_cookie("kiosk_staff", path="/staff")
    assert copied is not None
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    thief = client.application.test_client()
    thief.set_cookie(copied.key, copied.value, path=copied.path)
    assert thief.post("/staff/actions/pause", data={"csrf_token": token}).status_code in (302, 401)
    rig.booth.step()
    assert not rig.booth.paused
    thief.set_cookie(copied.key, copied.value, path=copied.path)
    assert thief.get("/staff/dashboard").status_code == 302
    thief.set_cookie(copied.key, copied.value, path=copied.path)
    assert thief.get("/staff/api/live").status_code == 401
    assert login(client).status_code == 302 and client.get("/staff/dashboard").status_code == 200


def test_generations_survive_a_restart_and_stay_private(tmp_path):
    passwords = PasswordFile(tmp_path / "staff-passwords")
    passwords.set("staff", PASSWORD)
    first = passwords.generations.get("staff")
    passwords.generations.bump("staff")
    again = PasswordFile(tmp_path / "staff-passwords")
    assert again.generations.get("staff") == first + 1 and again.generations.get("other") == 0
    assert stat.S_IMODE(passwords.generations.path.stat().st_mode) == 0o600
    passwords.generations.path.write_text("not json")
    assert again.generations.get("staff") == -1  # damaged: no session matches, everyone signs in again


def test_password_change_signs_sessions_out(rig):
    client = rig.client
    login(client)
    assert client.get("/staff/dashboard").status_code == 200
    rig.console.passwords.set("staff", "a brand new one")
    assert client.get("/staff/dashboard").status_code == 302


@pytest.mark.parametrize("path", GET_PAGES)
def test_pages_redirect_to_sign_in_when_signed_out(rig, path):
    resp = rig.client.get(path)
    assert resp.status_code == 302
    assert "/staff/login" in resp.headers["Location"]
    assert resp.get_data(as_text=True).count("booth-01") == 0


@pytest.mark.parametrize("path", DATA_ENDPOINTS)
def test_data_endpoints_answer_401_when_signed_out(rig, path):
    resp = rig.client.get(path)
    assert resp.status_code == 401
    assert resp.get_json() == {"error": "signed out", "login": "/staff/login"}


@pytest.mark.parametrize("path", ACTIONS)
def test_actions_answer_401_when_signed_out(rig, path):
    client = rig.client
    token = csrf_from(client.get("/staff/login").get_data(as_text=True))
    resp = client.post(path, data={"csrf_token": token, "capture_id": "x", "reason": "because"})
    assert resp.status_code == 401
    rig.booth.step()
    assert not rig.booth.paused


def test_next_only_leads_inside_the_console(rig):
    client = rig.client
    token = csrf_from(client.get("/staff/login?next=https://evil.example/").get_data(as_text=True))
    resp = client.post(
        "/staff/login?next=https://evil.example/", data={"user": "staff", "password": PASSWORD, "csrf_token": token}
    )
    assert resp.headers["Location"].endswith("/staff/dashboard")
    client.post("/staff/logout", data={"csrf_token": page_token(client)})
    resp = client.get("/staff/statistics")
    token = csrf_from(client.get(resp.headers["Location"]).get_data(as_text=True))
    resp = client.post(resp.headers["Location"], data={"user": "staff", "password": PASSWORD, "csrf_token": token})
    assert resp.headers["Location"].endswith("/staff/statistics")


def test_pages_carry_security_headers(rig):
    resp = rig.client.get("/staff/login")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_no_password_yet_says_how_to_set_one(tmp_path):
    rig = make_rig(tmp_path)
    html = rig.client.get("/staff/login").get_data(as_text=True)
    assert "<code>kiosk passwd</code>" in html and "`" not in html  # a command, not markdown quotes
    assert login(rig.client).status_code == 401
    rig.console.close()
    rig.close()


def test_staff_app_serves_no_student_page_stream_or_photo(rig):
    client = rig.client
    login(client)
    for path in ("/", "/api/state", "/events", "/stream.mjpg", "/preview.jpg", "/photo/x.jpg", "/static/student.js"):
        assert client.get(path).status_code == 404, path
    assert client.get("/staff/static/student.js").status_code == 404
    assert client.get("/staff/static/staff.js").status_code == 200


def test_a_password_typed_into_the_name_field_stays_out_of_the_log(rig):
    login(rig.client, user="MySecretPassw0rd", password="")
    entry = rig.console.audit.entries()[0]
    assert (entry.who, entry.action) == ("(unknown user)", "login_failed")
    assert "MySecretPassw0rd" not in rig.client.get("/staff/login").get_data(as_text=True)


def test_console_beyond_loopback_needs_a_declared_tls_proxy(tmp_path):
    from kiosk.core.config import ConfigError, load_config

    cfg = tmp_path / "k.toml"
    cfg.write_text('[staff]\nhost = "0.0.0.0"\n')
    with pytest.raises(ConfigError, match="staff.host.*plain HTTP"):
        load_config(cfg)
    cfg.write_text('[staff]\nhost = "0.0.0.0"\nproxy_hops = 1\nproxy_address = "10.0.0.2"\n')
    assert load_config(cfg).staff.proxy_hops == 1
    cfg.write_text('[staff]\nhost = "::1"\n')
    assert load_config(cfg).staff.host == "::1"


def test_behind_the_proxy_each_client_keeps_its_own_address(tmp_path):
    """Lockout and audit see the forwarded client, only from the declared proxy; cookies are Secure."""
    from tests.helpers.staff import make_rig

    rig = make_rig(tmp_path, max_login_attempts=2, proxy_hops=1, proxy_address="10.0.0.2")
    rig.console.passwords.set("staff", PASSWORD)
    try:

        def via_proxy(client_addr: str, password: str):
            env = {"REMOTE_ADDR": "10.0.0.2"}
            hdr = {"X-Forwarded-For": client_addr, "X-Forwarded-Proto": "https"}
            page = rig.client.get("/staff/login", environ_base=env, headers=hdr)
            data = {"user": "staff", "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
            return rig.client.post("/staff/login", data=data, environ_base=env, headers=hdr)

        for _ in range(2):
            via_proxy("198.51.100.7", "wrong password")
        assert via_proxy("198.51.100.7", PASSWORD).status_code == 429
        ok = via_proxy("198.51.100.8", PASSWORD)
        assert ok.status_code == 302 and "Secure" in ok.headers["Set-Cookie"]
        remotes = {e.remote for e in rig.console.audit.entries()}
        assert {"198.51.100.7", "198.51.100.8"} <= remotes and "10.0.0.2" not in remotes
        direct = rig.client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert direct.status_code == 403
    finally:
        rig.console.close()
        rig.close()
