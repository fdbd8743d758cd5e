"""A process killed while Twilio holds its send (accepted, answer not yet back): after the
restart the reply is found at Twilio and not sent again — the customer gets it once."""

import pytest
import requests

from plugins.twilio_channel.testing.stalling_twilio import StallingTwilio
from tests.scaleout.support import free_port, make_deployment, wait_for

pytestmark = [pytest.mark.slow]

SID, TOKEN, OUR_NUMBER = "AC" + "c" * 32, "stall-test-auth-token-0123456789", "+14155550100"


def twilio_inbound(url, sid, frm, body):
    from twilio.request_validator import RequestValidator

    params = {"AccountSid": SID, "MessageSid": sid, "From": frm, "To": OUR_NUMBER, "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(f"{url}/webhooks/twilio/messaging", params)
    return requests.post(f"{url}/webhooks/twilio/messaging", data=params,
                         headers={"X-Twilio-Signature": signature}, timeout=10)


def test_sigkill_while_twilio_holds_the_send_delivers_the_reply_once(gateway, tmp_path):
    with StallingTwilio(SID) as twilio:
        deployment = make_deployment(f"sqlite:///{tmp_path / 'stall.db'}", gateway, tmp_path)
        deployment.env["SWITCHBOARD_TWILIO_HOSTS"] = f"api={twilio.url}"
        deployment.run("settings", "set", "twilio_channel", f"account_sid={SID}", f"auth_token={TOKEN}",
                       f'numbers=["{OUR_NUMBER}"]')
        port = free_port()
        url = deployment.start(port)
        headers = {"Authorization": f"Bearer {deployment.token}"}
        try:
            assert twilio_inbound(url, "SM" + "1" * 32, "+14155550123", "Hello?").status_code == 200
            chats = lambda: requests.get(f"{url}/api/v1/chats?view=all", headers=headers, timeout=5).json()  # noqa
            assert wait_for(chats, timeout=20)
            chat_id = chats()[0]["id"]
            twilio.stall_next, twilio.stall_seconds = 1, 60  # accepted, then no answer
            reply = requests.post(f"{url}/api/v1/chats/{chat_id}/messages", json={"body": "On its way"},
                                  headers=headers, timeout=10)
            assert reply.status_code == 201
            assert wait_for(lambda: twilio.bodies() == ["On its way"], timeout=20)  # Twilio has it
            deployment.kill(url)  # …and the process dies waiting for the answer

            url = deployment.start(port)
            message = lambda: requests.get(f"{url}/api/v1/chats/{chat_id}/messages", headers=headers,  # noqa
                                           timeout=5).json()
            sent = lambda: [m for m in message() if m["direction"] == "out" and m["external_id"]]  # noqa
            assert wait_for(sent, timeout=40), message()
            assert sent()[0]["external_id"] == twilio.messages[0]["sid"]
            assert twilio.bodies() == ["On its way"]  # once
        finally:
            deployment.stop_all()
