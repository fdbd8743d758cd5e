"""The host's channel contract, run against the Twilio plugin's sms and whatsapp channels."""
from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from host.testing.contracts import ChannelContract
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing.webhooks import inbound_params, post_twilio, status_params


class TwilioWebhooks:
    """Posts Twilio's webhooks, signed (or forged) the way the contract asks."""

    def __init__(self, app, prefix=""):
        self.app, self.prefix = app, prefix

    def inbound(self, client, external_id, from_address, body, forge=None):
        sid = "SM" + external_id.encode().hex().ljust(32, "0")[:32]
        params = inbound_params(sid=sid, frm=from_address, to=self.prefix + "+14155550000", body=body)
        if forge == "signature":
            return post_twilio(self.app, "/webhooks/twilio/messaging", params, token="wrong-token-123", client=client)
        if forge == "missing":
            return post_twilio(self.app, "/webhooks/twilio/messaging", params, signature=False, client=client)
        if forge == "tamper":
            url = self.app.config["SWITCHBOARD_PUBLIC_URL"] + "/webhooks/twilio/messaging"
            signature = RequestValidator(load_config().account.token).compute_signature(url, params)
            return post_twilio(self.app, "/webhooks/twilio/messaging", {**params, "Body": body + "!"},
                               signature=signature, client=client)
        return post_twilio(self.app, "/webhooks/twilio/messaging", params, client=client)

    def status(self, client, external_id, status, error_code=None):
        params = status_params(external_id, status, error_code=error_code, frm=self.prefix + "+14155550000",
                               to=self.prefix + "+14155550123")
        return post_twilio(self.app, "/webhooks/twilio/status", params, client=client)


class TestSmsChannelContract(ChannelContract):
    @pytest.fixture
    def plugin_name(self):
        return "twilio_channel"

    @pytest.fixture
    def channel_key(self):
        return "sms"

    @pytest.fixture
    def customer_address(self):
        return "+14155550123"

    @pytest.fixture
    def webhooks(self, app):
        return TwilioWebhooks(app)

    @pytest.fixture
    def sent(self, simulator):
        return simulator.created

    @staticmethod
    def external_id_of(item):
        return item["sid"]


class TestWhatsAppChannelContract(TestSmsChannelContract):
    @pytest.fixture
    def channel_key(self):
        return "whatsapp"

    @pytest.fixture
    def customer_address(self):
        return "whatsapp:+14155550123"

    @pytest.fixture
    def webhooks(self, app):
        return TwilioWebhooks(app, prefix="whatsapp:")
