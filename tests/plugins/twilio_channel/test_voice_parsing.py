"""Reading Twilio's voice webhook forms and our TwiML's query parameters (voice/parsing.py):
what each step needs, 400 naming the fields when it is missing, defaults for the rest."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import BadRequest

from plugins.twilio_channel.voice import parsing


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(BadRequest) as caught:
        call(*args, **kwargs)
    return caught.value.description


def test_a_customers_call_and_a_browsers_call():
    form = {"CallSid": "CA1", "From": "+14155550123", "To": "+14155550000"}
    assert parsing.incoming_call(form) == parsing.IncomingCall("CA1", "+14155550123", "+14155550000", "")
    assert parsing.incoming_call({**form, "CallerName": "MARIA LOPEZ"}).caller_name == "MARIA LOPEZ"
    assert parsing.number_called(form) == "+14155550000" and not parsing.from_browser(form)
    browser = {"CallSid": "CA2", "From": "client:agent-7", "To": "+14155550123"}
    assert parsing.from_browser(browser) and parsing.number_called(browser) is None
    assert refused(parsing.incoming_call, {"From": "+14155550123"}) == "CallSid and From are required."
    assert refused(parsing.call_sid, {}) == "CallSid is required."
    assert refused(parsing.require_status, {"CallSid": "CA1"}) == "CallSid and CallStatus are required."


@pytest.mark.parametrize("value, found", [("12", 12), ("0", None), ("-3", None), ("2147483648", None),
                                          ("12a", None), ("", None), (None, None)])
def test_ids_are_positive_32_bit_integers(value, found):
    assert parsing.database_id(value) == found
    assert parsing.planned_chat_id({"chat_id": value} if value is not None else {}) == found
    assert parsing.chat_id({"chat_id": value or ""}, required=False) == found


def test_the_query_of_a_steps_url():
    assert parsing.chat_id({"chat_id": "5"}) == 5
    assert refused(parsing.chat_id, {"chat_id": "x"}) == "chat_id is required."
    assert parsing.agent_id({"agent_id": "3"}) == 3
    assert refused(parsing.agent_id, {}) == "agent_id is required."


def test_queue_time_and_recording_status_have_defaults():
    assert parsing.queue_time({"QueueTime": "31"}) == 31
    assert parsing.queue_time({"QueueTime": "soon"}) == parsing.queue_time({}) == 0
    assert parsing.recording_completed({}) and parsing.recording_completed({"RecordingStatus": "completed"})
    assert not parsing.recording_completed({"RecordingStatus": "in-progress"})
