"""Customer addresses normalise to one canonical identity, or fail with a usable message."""
from __future__ import annotations

import pytest

from plugins.contacts.normalize import (InvalidAddress, identity_for_channel, normalize,
                                        phone_identities, phone_of)

VALID = [
    # kind, typed, region, canonical
    ("phone", "(415) 555-2671", "US", "+14155552671"),
    ("phone", "415.555.2671", "US", "+14155552671"),
    ("phone", "415 555 2671", "US", "+14155552671"),
    ("phone", "1 415 555 2671", "US", "+14155552671"),
    ("phone", "+1 415-555-2671", "GB", "+14155552671"),
    ("phone", "  +1 (415) 555 2671  ", "US", "+14155552671"),
    ("phone", "011 44 20 7946 0958", "US", "+442079460958"),
    ("phone", "020 7946 0958", "GB", "+442079460958"),
    ("phone", "07400 123456", "GB", "+447400123456"),
    ("phone", "0044 20 7946 0958", "GB", "+442079460958"),
    ("phone", "0044 20 7946 0958", "US", "+442079460958"),
    ("phone", "+44 20-7946-0958", "US", "+442079460958"),
    ("phone", "+44 (0)20 7946 0958", "US", "+442079460958"),
    ("phone", "+49 30 901820", "US", "+4930901820"),
    ("whatsapp", "whatsapp:+14155552671", "US", "whatsapp:+14155552671"),
    ("whatsapp", "WhatsApp:+1 415 555 2671", "US", "whatsapp:+14155552671"),
    ("whatsapp", "+14155552671", "US", "whatsapp:+14155552671"),
    ("whatsapp", "(415) 555-2671", "US", "whatsapp:+14155552671"),
    ("whatsapp", "whatsapp:020 7946 0958", "GB", "whatsapp:+442079460958"),
    ("email", "Ann.Lee@Example.COM", "US", "ann.lee@example.com"),
    ("email", "  bob+support@mail.example.co.uk ", "US", "bob+support@mail.example.co.uk"),
    ("livechat", " b7eff798-f8df-4364-8059-649c35c9ed0c ", "US",
     "b7eff798-f8df-4364-8059-649c35c9ed0c"),
]


@pytest.mark.parametrize("kind,typed,region,expected", VALID)
def test_normalises(kind, typed, region, expected):
    assert normalize(kind, typed, region) == expected


INVALID = [
    # kind, typed, region, field
    ("phone", "", "US", "phone"),
    ("phone", None, "US", "phone"),
    ("phone", "   ", "US", "phone"),
    ("phone", "123", "US", "phone"),              # too short
    ("phone", "555-1234", "US", "phone"),         # no area code
    ("phone", "+1 555 123 4567", "US", "phone"),  # area code 555 does not exist
    ("phone", "1-800-FLOWERS", "US", "phone"),    # letters are refused, not converted
    ("phone", "call me", "US", "phone"),
    ("phone", "415+555+2671", "US", "phone"),
    ("phone", "020 7946 0958", "US", "phone"),    # a UK national number read as US
    ("phone", "+44 20 7946 09581234", "US", "phone"),  # too long
    ("whatsapp", "whatsapp:", "US", "whatsapp"),
    ("whatsapp", "whatsapp:abc", "US", "whatsapp"),
    ("email", "", "US", "email"),
    ("email", "ann", "US", "email"),
    ("email", "ann@", "US", "email"),
    ("email", "ann@example", "US", "email"),
    ("email", "ann lee@example.com", "US", "email"),
    ("email", "ann@@example.com", "US", "email"),
    ("livechat", "  ", "US", "livechat"),
    ("telegram", "@ann", "US", "kind"),
]


@pytest.mark.parametrize("kind,typed,region,field", INVALID)
def test_rejects_with_field_and_sentence(kind, typed, region, field):
    with pytest.raises(InvalidAddress) as caught:
        normalize(kind, typed, region)
    error = caught.value
    assert error.field == field
    assert isinstance(error, ValueError)
    # A sentence an agent can read: capitalised, ends with a full stop, says what to do.
    assert error.message[0].isupper() and error.message.endswith(".")
    assert len(error.message.split()) >= 3
    assert str(error) == error.message


def test_invalid_phone_message_names_the_input_and_region():
    with pytest.raises(InvalidAddress) as caught:
        normalize("phone", "020 7946 0958", "US")
    assert "020 7946 0958" in caught.value.message
    assert "US" in caught.value.message


@pytest.mark.parametrize("channel,address,expected", [
    ("sms", "(415) 555-2671", ("phone", "+14155552671")),
    ("voice", "+1 415 555 2671", ("phone", "+14155552671")),
    ("whatsapp", "whatsapp:+14155552671", ("whatsapp", "whatsapp:+14155552671")),
    ("livechat", "abc-123", ("livechat", "abc-123")),
    ("email", "Ann@Example.com", ("email", "ann@example.com")),
])
def test_identity_for_channel(channel, address, expected):
    assert identity_for_channel(channel, address, "US") == expected


def test_identity_for_unknown_channel_names_the_channel_field():
    with pytest.raises(InvalidAddress) as caught:
        identity_for_channel("fax", "+14155552671", "US")
    assert caught.value.field == "channel"
    assert "fax" in caught.value.message


def test_identity_for_channel_reports_the_kind_as_field():
    with pytest.raises(InvalidAddress) as caught:
        identity_for_channel("whatsapp", "not a number", "US")
    assert caught.value.field == "whatsapp"


def test_sms_and_whatsapp_from_one_number_are_one_phone():
    sms = identity_for_channel("sms", "+1 415 555 2671")
    whatsapp = identity_for_channel("whatsapp", "whatsapp:+14155552671")
    assert sms != whatsapp
    assert phone_of(*sms) == phone_of(*whatsapp) == "+14155552671"
    assert phone_of("phone", "+15551234567") == phone_of("whatsapp", "whatsapp:+15551234567")
    assert phone_of("email", "ann@example.com") is None
    assert phone_of("livechat", "abc") is None
    assert phone_identities("+14155552671") == [sms, whatsapp]
