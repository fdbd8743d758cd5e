"""Pin twilio-python's webhook signature scheme with its own published test vector.

If a twilio upgrade changed how signatures are computed, every inbound webhook would
start failing closed; this test says so before production does.

The vector's caller number is +14158675309 (as in twilio-python, twilio-php and
twilio-csharp's own tests); with +14158675310 the signature would be a different one.
"""
from twilio.request_validator import RequestValidator

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_known_vector_signature():
    validator = RequestValidator(TOKEN)
    assert validator.compute_signature(URL, PARAMS) == SIGNATURE
    assert validator.validate(URL, PARAMS, SIGNATURE)


def test_tampered_param_fails():
    tampered = {**PARAMS, "Digits": "1235"}
    assert not RequestValidator(TOKEN).validate(URL, tampered, SIGNATURE)


def test_extra_param_fails():
    # Validation covers every POSTed parameter, so an injected one breaks it too.
    assert not RequestValidator(TOKEN).validate(URL, {**PARAMS, "Body": "hi"}, SIGNATURE)


def test_other_url_or_token_fails():
    assert not RequestValidator(TOKEN).validate(URL.replace("https", "http"), PARAMS,
                                                SIGNATURE)
    assert not RequestValidator("54321").validate(URL, PARAMS, SIGNATURE)
