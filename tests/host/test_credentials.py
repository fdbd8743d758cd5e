"""How credentials end: API tokens (name, times, expiry, revocation), sign-ins (sign-out,
new passwords, "keep me signed in"), deactivation, and who may manage whose."""
import re
from datetime import timedelta

import pytest

from host.cli import main
from host.extensions import db
from host.models import ApiToken, utcnow
from host.testing.loopback import webhook

PASSWORD = "correct-horse-battery"


def bearer(app, secret):
    return {"Authorization": f"Bearer {secret}"}


def me_status(app, secret):
    return app.test_client().get("/api/v1/me", headers=bearer(app, secret)).status_code


def new_token(api, agent, **extra):
    response = api(agent).post(f"/api/v1/agents/{agent.id}/tokens",
                               json={"name": "Reporting script", "current_password": PASSWORD, **extra})
    assert response.status_code == 201, response.json
    return response.json


def run(app, *args):
    return app.test_cli_runner().invoke(main, list(args))


def cookie_only_client(app, source, names):
    """A new browser holding only copies of ``source``'s cookies named ``names``."""
    client = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        client.set_cookie(name, cookie.value)
    return client


# --- API tokens ---------------------------------------------------------------------------

def test_a_token_has_a_name_a_creation_time_and_an_optional_expiry(app, agent, api):
    created = new_token(api, agent, expires_in_days=30)
    assert created["secret"].startswith("sbt_") and created["name"] == "Reporting script"
    assert created["state"] == "active" and created["last_used_at"] is None
    listed = {t["id"]: t for t in api(agent).get(f"/api/v1/agents/{agent.id}/tokens").json}
    token = listed[created["id"]]
    assert "secret" not in token and token["created_at"].endswith("+00:00")
    days = (db.session.get(ApiToken, created["id"]).expires_at - utcnow()).total_seconds() / 86400
    assert 29.9 < days <= 30
    assert me_status(app, created["secret"]) == 200


def test_last_used_is_written_at_most_once_a_minute(app, agent, api, sql_statements):
    created = new_token(api, agent)
    sql_statements.clear()
    assert me_status(app, created["secret"]) == 200
    assert len([s for s in sql_statements if s.startswith("update api_tokens")]) == 1
    first = db.session.get(ApiToken, created["id"]).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=5)

    sql_statements.clear()
    assert me_status(app, created["secret"]) == 200
    assert not [s for s in sql_statements if s.startswith("update api_tokens")]  # within the minute

    db.session.get(ApiToken, created["id"]).last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    assert me_status(app, created["secret"]) == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, created["id"]).last_used_at > first - timedelta(seconds=1)


def test_an_expired_token_is_refused(app, agent, api):
    created = new_token(api, agent, expires_in_days=1)
    db.session.get(ApiToken, created["id"]).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert me_status(app, created["secret"]) == 401
    [listed] = [t for t in api(agent).get(f"/api/v1/agents/{agent.id}/tokens").json if t["id"] == created["id"]]
    assert listed["state"] == "expired"


def test_a_revoked_token_stops_at_once_and_stays_listed(app, agent, api):
    created = new_token(api, agent)
    other = new_token(api, agent)
    assert api(agent).delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert me_status(app, created["secret"]) == 401
    assert me_status(app, other["secret"]) == 200
    states = {t["id"]: t["state"] for t in api(agent).get(f"/api/v1/agents/{agent.id}/tokens").json}
    assert states[created["id"]] == "revoked" and states[other["id"]] == "active"


def test_creating_a_token_for_yourself_needs_your_password(app, agent, api):
    response = api(agent).post(f"/api/v1/agents/{agent.id}/tokens", json={"name": "x", "current_password": "nope"})
    assert response.status_code == 422 and response.json["errors"]["json"]["current_password"]
    bad = api(agent).post(f"/api/v1/agents/{agent.id}/tokens", json={"name": "", "current_password": PASSWORD,
                                                                     "expires_in_days": 0})
    assert bad.status_code == 422 and set(bad.json["errors"]["json"]) == {"name", "expires_in_days"}


def test_agents_manage_only_their_own_tokens_admins_everyones(app, agent, admin, make_agent, api):
    colleague = make_agent("colleague@example.test")
    created = new_token(api, colleague)
    assert api(agent).get(f"/api/v1/agents/{colleague.id}/tokens").status_code == 403
    assert api(agent).post(f"/api/v1/agents/{colleague.id}/tokens", json={"name": "x"}).status_code == 403
    assert api(agent).delete(f"/api/v1/tokens/{created['id']}").status_code == 404
    assert me_status(app, created["secret"]) == 200
    assert [t["id"] for t in api(admin).get(f"/api/v1/agents/{colleague.id}/tokens").json][:1] == [created["id"]]
    assert api(admin).post(f"/api/v1/agents/{colleague.id}/tokens", json={"name": "for them"}).status_code == 201
    assert api(admin).delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert me_status(app, created["secret"]) == 401


def test_tokens_list_and_revoke_on_the_command_line(app, agent):
    created = run(app, "tokens", "create", agent.email, "--name", "nightly export", "--expires-in-days", "7")
    secret = created.output.strip()
    assert created.exit_code == 0 and me_status(app, secret) == 200
    listing = run(app, "tokens", "list", agent.email).output
    line = next(line for line in listing.splitlines() if "nightly export" in line)
    token_id = int(line.split()[0])
    assert "active" in line and "never" not in line   # it ends (in 7 days)
    revoked = run(app, "tokens", "revoke", str(token_id))
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert me_status(app, secret) == 401
    assert "revoked" in next(line for line in run(app, "tokens", "list", agent.email).output.splitlines()
                             if line.split()[0] == str(token_id))
    assert run(app, "tokens", "revoke", "999999").exit_code != 0


# --- deactivation ---------------------------------------------------------------------------

def deactivate_by_api(app, admin, api, agent):
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False}).status_code == 200


def deactivate_on_the_agents_page(app, admin, signed_in, agent):
    client = signed_in(admin)
    response = client.post(f"/admin/agents/{agent.id}", data={"action": "deactivate", "csrf_token": client.csrf_token})
    assert response.status_code == 302


def deactivate_on_the_command_line(app, agent):
    assert run(app, "agents", "deactivate", agent.email).exit_code == 0


@pytest.mark.parametrize("how", ["api", "page", "cli"])
def test_deactivating_revokes_tokens_and_sign_ins_for_good(app, agent, admin, api, signed_in, how):
    created = new_token(api, agent)
    browser = signed_in(agent, remember=True)
    remembered = cookie_only_client(app, browser, ["remember_token"])
    assert browser.get("/api/v1/me").status_code == 200 and remembered.get("/api/v1/me").status_code == 200
    {"api": lambda: deactivate_by_api(app, admin, api, agent),
     "page": lambda: deactivate_on_the_agents_page(app, admin, signed_in, agent),
     "cli": lambda: deactivate_on_the_command_line(app, agent)}[how]()
    assert me_status(app, created["secret"]) == 401
    assert browser.get("/api/v1/me").status_code == 401

    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": True}).status_code == 200
    assert me_status(app, created["secret"]) == 401          # reactivation brings nothing back
    assert browser.get("/api/v1/me").status_code == 401
    assert cookie_only_client(app, browser, ["remember_token"]).get("/api/v1/me").status_code == 401
    from host.models import AgentSession

    assert db.session.execute(db.select(db.func.count(AgentSession.id)).where(
        AgentSession.agent_id == agent.id)).scalar() == 0
    assert signed_in(agent).get("/api/v1/me").status_code == 200   # signing in again works


# --- sign-ins -------------------------------------------------------------------------------

def test_signing_out_ends_the_session_on_the_server(app, agent, signed_in):
    browser = signed_in(agent, remember=True)
    stolen = cookie_only_client(app, browser, ["session"])
    stolen_remember = cookie_only_client(app, browser, ["remember_token"])
    assert stolen.get("/api/v1/me").status_code == 200 and stolen_remember.get("/api/v1/me").status_code == 200
    assert browser.post("/logout", data={"csrf_token": browser.csrf_token}).status_code == 302
    assert stolen.get("/api/v1/me").status_code == 401
    assert stolen_remember.get("/api/v1/me").status_code == 401


def test_signing_out_ends_only_that_sign_in(app, agent, signed_in):
    laptop, phone = signed_in(agent), signed_in(agent)
    laptop.post("/logout", data={"csrf_token": laptop.csrf_token})
    assert phone.get("/api/v1/me").status_code == 200


def change_own_password(client, new="a-brand-new-passphrase", current=PASSWORD, agent_id=None):
    me = client.get("/api/v1/me").json
    return client.post(f"/profile/{agent_id or me['id']}/password", data={
        "csrf_token": client.csrf_token, "current_password": current, "new_password": new, "repeat_password": new})


def test_a_new_password_ends_every_other_sign_in_and_remember_cookie(app, agent, signed_in, api):
    here = signed_in(agent, remember=True)
    there = signed_in(agent, remember=True)
    there_remembered = cookie_only_client(app, there, ["remember_token"])
    here_remembered = cookie_only_client(app, here, ["remember_token"])
    token = new_token(api, agent)
    response = change_own_password(here)
    assert response.status_code == 302
    assert "sign-in" in here.get(response.headers["Location"]).get_data(as_text=True)  # "… ended" flash
    assert here.get("/api/v1/me").status_code == 200                   # this browser stays in …
    assert here_remembered.get("/api/v1/me").status_code == 401        # … with new cookies: copies end
    assert cookie_only_client(app, here, ["remember_token"]).get("/api/v1/me").status_code == 200
    assert there.get("/api/v1/me").status_code == 401
    assert there_remembered.get("/api/v1/me").status_code == 401
    assert me_status(app, token["secret"]) == 200                      # tokens are separate credentials
    assert signed_in(agent, password="a-brand-new-passphrase").get("/api/v1/me").status_code == 200


def test_changing_a_password_needs_the_current_one_and_two_equal_new_ones(app, agent, signed_in):
    client = signed_in(agent)
    page = client.get(change_own_password(client, current="wrong-password").headers["Location"]).get_data(as_text=True)
    assert "current password isn" in page
    mismatch = client.post(f"/profile/{agent.id}/password", data={
        "csrf_token": client.csrf_token, "current_password": PASSWORD, "new_password": "0123456789a",
        "repeat_password": "0123456789b"})
    assert "two new passwords differ" in client.get(mismatch.headers["Location"]).get_data(as_text=True)
    short = change_own_password(client, new="short")
    assert "at least 10 characters" in client.get(short.headers["Location"]).get_data(as_text=True)
    assert signed_in(agent).get("/api/v1/me").status_code == 200   # the old password still works


def test_password_change_through_the_api(app, agent, signed_in, api):
    browser = signed_in(agent)
    client = api(agent)
    wrong = client.post("/api/v1/me/password", json={"current_password": "nope", "new_password": "0123456789ab"})
    assert wrong.status_code == 422 and wrong.json["errors"]["json"]["current_password"]
    ok = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "0123456789ab"})
    assert ok.status_code == 204
    assert browser.get("/api/v1/me").status_code == 401     # called with a token: every sign-in ends


def test_password_change_through_the_api_from_a_browser_keeps_that_browser(app, agent, signed_in):
    browser, other = signed_in(agent), signed_in(agent)
    copy = cookie_only_client(app, browser, ["session"])
    response = browser.post("/api/v1/me/password", headers={"X-CSRFToken": browser.csrf_token},
                            json={"current_password": PASSWORD, "new_password": "0123456789ab"})
    assert response.status_code == 204
    assert browser.get("/api/v1/me").status_code == 200
    assert copy.get("/api/v1/me").status_code == 401 and other.get("/api/v1/me").status_code == 401


def test_an_admin_sets_a_new_password_on_the_agents_page(app, agent, admin, signed_in):
    browser = signed_in(agent, remember=True)
    remembered = cookie_only_client(app, browser, ["remember_token"])
    boss = signed_in(admin)
    page = boss.get("/admin/agents").get_data(as_text=True)
    assert "Set a new password" in page
    short = boss.post(f"/admin/agents/{agent.id}", data={"action": "password", "password": "short",
                                                          "csrf_token": boss.csrf_token}, follow_redirects=True)
    assert "at least 10 characters" in short.get_data(as_text=True)
    assert browser.get("/api/v1/me").status_code == 200
    done = boss.post(f"/admin/agents/{agent.id}", data={"action": "password", "password": "set-by-the-admin",
                                                         "csrf_token": boss.csrf_token}, follow_redirects=True)
    assert "has a new password" in done.get_data(as_text=True)
    assert browser.get("/api/v1/me").status_code == 401
    assert remembered.get("/api/v1/me").status_code == 401
    assert signed_in(agent, password="set-by-the-admin").get("/api/v1/me").status_code == 200


def test_signing_in_starts_a_new_csrf_secret(app, agent):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": agent.email, "password": PASSWORD,
                                       "csrf_token": before}).status_code == 302
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    from host.models import Chat
    chat = db.session.execute(db.select(Chat)).scalar_one()
    stale = client.post(f"/api/v1/chats/{chat.id}/accept", headers={"X-CSRFToken": before})
    assert stale.status_code == 400
    after = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/profile").get_data(as_text=True)).group(1)
    assert after != before
    assert client.post(f"/api/v1/chats/{chat.id}/accept", headers={"X-CSRFToken": after}).status_code == 200


def test_sign_ins_are_listed_and_ended_from_the_api(app, agent, admin, make_agent, signed_in, api):
    laptop, phone = signed_in(agent), signed_in(agent)
    rows = laptop.get(f"/api/v1/agents/{agent.id}/sign-ins").json
    assert len(rows) == 2 and sum(r["current"] for r in rows) == 1
    other = next(r for r in rows if not r["current"])
    outsider = make_agent("outsider@example.test")
    assert api(outsider).delete(f"/api/v1/sign-ins/{other['id']}").status_code == 404
    assert api(outsider).get(f"/api/v1/agents/{agent.id}/sign-ins").status_code == 403
    assert laptop.delete(f"/api/v1/sign-ins/{other['id']}", headers={"X-CSRFToken": laptop.csrf_token}).status_code == 204
    assert laptop.get("/api/v1/me").status_code == 200
    assert phone.get("/api/v1/me").status_code == 401


def test_an_unused_sign_in_ends_after_thirty_days(app, agent, signed_in):
    from host.models import AgentSession

    browser = signed_in(agent)
    row = db.session.execute(db.select(AgentSession).where(AgentSession.agent_id == agent.id)).scalar_one()
    row.last_seen_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert browser.get("/api/v1/me").status_code == 401


# --- the profile page -------------------------------------------------------------------------

def test_the_profile_page_lists_tokens_and_sign_ins_and_revokes(app, agent, signed_in, api):
    created = new_token(api, agent)
    client = signed_in(agent)
    page = client.get("/profile").get_data(as_text=True)
    assert "Reporting script" in page and "This browser" in page and "Change password" in page
    response = client.post(f"/profile/{agent.id}/tokens/{created['id']}/revoke", data={"csrf_token": client.csrf_token})
    assert response.status_code == 302 and me_status(app, created["secret"]) == 401
    made = client.post(f"/profile/{agent.id}/tokens", data={"csrf_token": client.csrf_token, "name": "Zapier",
                                                            "expires_in_days": "30", "current_password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    secret = re.search(r"(sbt_[A-Za-z0-9_-]+)", made).group(1)
    assert me_status(app, secret) == 200
    refused = client.post(f"/profile/{agent.id}/tokens", data={"csrf_token": client.csrf_token, "name": "x",
                                                               "expires_in_days": "30", "current_password": "wrong"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Type your current password" in refused


def test_agents_open_only_their_own_profile_admins_anyones(app, agent, admin, make_agent, signed_in):
    colleague = make_agent("colleague@example.test")
    mine = signed_in(agent)
    assert mine.get(f"/profile/{colleague.id}").status_code == 403
    assert mine.post(f"/profile/{colleague.id}/password", data={
        "csrf_token": mine.csrf_token, "new_password": "0123456789ab", "repeat_password": "0123456789ab"}
    ).status_code == 403
    assert signed_in(colleague).get("/api/v1/me").status_code == 200
    boss = signed_in(admin)
    page = boss.get(f"/profile/{colleague.id}").get_data(as_text=True)
    assert "Set a new password" in page and colleague.email in page
