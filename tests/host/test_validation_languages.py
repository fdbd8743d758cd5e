"""A schema's refusals (marshmallow's own sentences) come in the agent's language; the
field names stay as the API spells them."""
from host.extensions import db


def speaks(agent, language):
    agent.language = language
    db.session.commit()


def test_a_bad_request_is_refused_in_the_agents_language(app, agent, api):
    speaks(agent, "es")
    response = api(agent).post("/api/v1/chats", json={"to": 5, "body": "Hola"})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert errors == {"channel": ["Este campo es obligatorio."], "to": ["No es un texto válido."]}


def test_the_values_in_a_refusal_are_kept(app, agent, admin, api):
    speaks(admin, "pl")
    response = api(admin).post("/api/v1/groups", json={"name": ""})
    assert response.json["errors"]["json"]["name"] == ["Długość musi wynosić od 1 do 80."]
    response = api(admin).post("/api/v1/agents", json={"email": "not-an-address", "password": "0123456789",
                                                       "group_ids": None})
    errors = response.json["errors"]["json"]
    assert errors["email"] == ["To nie jest prawidłowy adres e-mail."]
    assert errors["group_ids"] == ["To pole nie może być puste."]
    speaks(agent, "es")
    assert api(agent).get("/api/v1/chats?limit=0").json["errors"]["query"]["limit"] == \
        ["Debe ser mayor o igual que 1 y menor o igual que 500."]


def test_english_stays_marshmallows_and_the_codes_own_sentences_pass_unchanged(app, agent, api):
    response = api(agent).post("/api/v1/chats", json={"to": 5})
    assert response.json["errors"]["json"] == {"channel": ["Missing data for required field."],
                                               "to": ["Not a valid string."]}
    speaks(agent, "es")
    unknown = api(agent).post("/api/v1/chats", json={"channel": "pigeon", "to": "+1555", "body": "Hi"})
    assert unknown.status_code == 422 and "pigeon" in unknown.json["errors"]["json"]["channel"][0]


def test_the_sentences_are_recognised_whole(app):
    from host.validation_messages import translate

    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert translate("Missing data for required field. Or not.") == "Missing data for required field. Or not."
        # The bounds' words pick the sentence: never "mayor que «1 and less than or equal to 5»".
        assert translate("Must be greater than 1 and less than or equal to 5.") == \
            "Debe ser mayor que 1 y menor o igual que 5."
        assert translate("Must be greater than or equal to 1.") == "Debe ser mayor o igual que 1."


def test_a_body_that_is_not_json_is_refused_in_the_agents_language(app, agent, api):
    speaks(agent, "pl")
    response = api(agent).post("/api/v1/chats", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["message"].startswith("Treść żądania nie jest prawidłowym JSON-em: ")


def test_a_transfer_to_no_such_agent_or_group_is_refused_in_the_agents_language(app, agent, api):
    from host.models import Chat

    chat = Chat(channel="loopback", customer_address="+15550001", status="queued")
    db.session.add(chat)
    speaks(agent, "es")
    client = api(agent)
    answer = client.post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": 999999})
    assert answer.status_code == 422 and answer.json["errors"]["json"] == {
        "agent_id": ["No hay ningún agente con este id."]}
    speaks(agent, "pl")
    answer = client.post(f"/api/v1/chats/{chat.id}/transfer", json={"group_id": 999999})
    assert answer.status_code == 422 and answer.json["errors"]["json"] == {
        "group_id": ["Nie ma grupy o tym identyfikatorze."]}
