"""Each agent chooses on their profile page whether new chats and ringing calls play a sound."""
import json
import re

from host.extensions import db


def boot_of(client) -> dict:
    page = client.get("/console").get_data(as_text=True)
    return json.loads(re.search(r'<script id="bootstrap" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_sound_setting_is_the_agents_own_and_reaches_the_console(app, agent, make_agent, signed_in):
    client = signed_in(agent)
    assert boot_of(client)["agent"]["sound_alerts"] is True   # on until the agent says otherwise
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="sound_alerts" checked' in page

    response = client.post(f"/profile/{agent.id}/alerts", data={"csrf_token": client.csrf_token})
    assert response.status_code == 302 and response.headers["Location"].endswith("#alerts")
    db.session.refresh(agent)
    assert agent.sound_alerts is False
    assert "are silent" in client.get("/profile").get_data(as_text=True)
    assert boot_of(client)["agent"]["sound_alerts"] is False

    client.post(f"/profile/{agent.id}/alerts", data={"csrf_token": client.csrf_token, "sound_alerts": "on"})
    db.session.refresh(agent)
    assert agent.sound_alerts is True

    other = make_agent("other@example.test")
    refused = client.post(f"/profile/{other.id}/alerts", data={"csrf_token": client.csrf_token})
    assert refused.status_code == 403
    db.session.refresh(other)
    assert other.sound_alerts is True
