"""Customer addresses in one canonical form, so one person is one identity.

An identity is ``(kind, address)``:

===========  =========================  ===========================================
kind         address                    accepted input
===========  =========================  ===========================================
``phone``    ``+14155552671`` (E.164)   national formats for the default region,
                                        ``+`` or ``00`` international prefixes,
                                        spaces, dashes, dots, parentheses
``whatsapp`` ``whatsapp:+14155552671``  the same, with or without ``whatsapp:``
``email``    ``ann@example.com``        any case; surrounding spaces are dropped
``livechat`` LiveChat customer id       as-is (trimmed), non-empty
===========  =========================  ===========================================

Bad input raises :class:`InvalidAddress` with the field and a sentence an agent can act
on, so an API or a form can show it next to the field.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from collections.abc import Iterable

import phonenumbers

KINDS = ("phone", "whatsapp", "email", "livechat")
WHATSAPP_PREFIX = "whatsapp:"

# Channel keys used by the host and channel plugins -> the identity kind they carry.
# SMS and voice reach the same phone number, so they share the ``phone`` identity.
CHANNEL_KINDS = {"sms": "phone", "voice": "phone", "whatsapp": "whatsapp",
                 "livechat": "livechat", "email": "email"}

# Punctuation people put in phone numbers; anything else (letters above all) is refused,
# because phonenumbers would silently turn vanity letters into digits.
_PHONE_PUNCTUATION = re.compile(r"[\s\-./()\u00a0\u2010-\u2015]+")
_PHONE_SHAPE = re.compile(r"\+?\d+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_LIVECHAT_MAX = 128

START = "^"                # marks search tokens that hold a whole field
MIN_DIGIT_SUBSTRING = 3    # shorter digit runs match the start of numbers only
NAME_WORD = re.compile(r"[^\W_]+")
_TOKEN_JUNK = re.compile(r"[^\w@.+\-]|_")  # what an email/id token may not contain
_EMAIL_MAX = 254


class InvalidAddress(ValueError):
    """An address that cannot be stored: ``field`` names the input, ``message`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalize(kind: str, value: str | None, region: str = "US") -> str:
    """Return the canonical address of ``value`` for identity ``kind``.

    ``region`` is the ISO country code used to read national phone formats
    (``"(415) 555-2671"`` with ``"US"``, ``"020 7946 0958"`` with ``"GB"``).
    """
    if kind == "phone":
        return normalize_phone(value, region)
    if kind == "whatsapp":
        return normalize_whatsapp(value, region)
    if kind == "email":
        return normalize_email(value)
    if kind == "livechat":
        return normalize_livechat(value)
    raise InvalidAddress("kind", f"Unknown kind of contact address “{kind}”; "
                                 f"use one of {', '.join(KINDS)}.")


def normalize_phone(value: str | None, region: str = "US", field: str = "phone") -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidAddress(field, "Enter a phone number.")
    compact = _PHONE_PUNCTUATION.sub("", text)
    if not _PHONE_SHAPE.fullmatch(compact):
        raise InvalidAddress(field, f"The phone number “{text}” may only contain digits, "
                                    "spaces, dashes, dots, parentheses and a leading +.")
    if compact.startswith("00"):
        # 00 is the international prefix almost everywhere; phonenumbers only knows it
        # for regions that use it, and agents paste such numbers whatever the region.
        compact = "+" + compact[2:]
    e164 = _e164(compact, region)
    if e164 is None:
        hint = "" if compact.startswith("+") else f" for region {region}"
        raise InvalidAddress(field, f"The phone number “{text}” is not valid{hint}; check the "
                                    "digits or write it with + and the country code.")
    return e164


@lru_cache(maxsize=4096)
def _e164(compact: str, region: str) -> str | None:
    """The E.164 form of a compact number, None when invalid.

    Every inbound message from a phone is normalised, mostly from the same customers:
    remembering the answer spares phonenumbers' parse and validation each time.
    """
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_whatsapp(value: str | None, region: str = "US") -> str:
    text = (value or "").strip()
    if text[:len(WHATSAPP_PREFIX)].lower() == WHATSAPP_PREFIX:
        text = text[len(WHATSAPP_PREFIX):]
    return WHATSAPP_PREFIX + normalize_phone(text, region, field="whatsapp")


def normalize_email(value: str | None) -> str:
    text = (value or "").strip().lower()
    if not text:
        raise InvalidAddress("email", "Enter an email address.")
    if len(text) > _EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise InvalidAddress("email", f"The email address “{text}” is not valid; it should "
                                      "look like name@example.com.")
    return text


def normalize_livechat(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidAddress("livechat", "Enter the LiveChat customer id.")
    if len(text) > _LIVECHAT_MAX:
        raise InvalidAddress("livechat", f"A LiveChat customer id has at most "
                                         f"{_LIVECHAT_MAX} characters.")
    return text


def identity_for_channel(channel: str, address: str | None,
                         region: str = "US") -> tuple[str, str]:
    """Map a channel key and the address it reported to an identity ``(kind, address)``."""
    kind = CHANNEL_KINDS.get(channel)
    if kind is None:
        raise InvalidAddress("channel", f"The channel “{channel}” does not carry contact "
                                        f"addresses; known channels are "
                                        f"{', '.join(sorted(CHANNEL_KINDS))}.")
    return kind, normalize(kind, address, region)


def phone_of(kind: str, address: str) -> str | None:
    """The E.164 number behind a normalised identity, or None for non-phone kinds.

    ``phone_of("phone", "+15551234567") == phone_of("whatsapp", "whatsapp:+15551234567")``:
    SMS and WhatsApp from one number are one person.
    """
    if kind == "phone":
        return address
    if kind == "whatsapp" and address.startswith(WHATSAPP_PREFIX):
        return address[len(WHATSAPP_PREFIX):]
    return None


def phone_identities(number: str) -> list[tuple[str, str]]:
    """All identities a given E.164 number can appear as (used to find the same person)."""
    return [("phone", number), ("whatsapp", WHATSAPP_PREFIX + number)]


# --- search tokens (the design is in plugins.contacts.search) ----------------------------

def fold(value: str | None) -> str:
    """Lowercase, accent-free text: "José O'Brien" -> "jose obrien"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().replace("'", "").replace("\u2019", "")


def fold_name(name: str | None) -> str:
    """The name as sorted in browse: folded words separated by single spaces."""
    return " ".join(NAME_WORD.findall(fold(name)))


def address_token(value: str) -> str:
    # Keep the characters of emails and ids; "_" is the name-word joiner, so drop it too.
    return _TOKEN_JUNK.sub("", fold(value))


def _phone_tokens(number: str) -> tuple[list[str], list[str]]:
    digits = number.lstrip("+")
    starts = [digits]
    try:
        parsed = phonenumbers.parse(number, None)
        national = re.sub(r"\D", "", phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
        if national and national != digits:
            starts.append(national)
        significant = phonenumbers.national_significant_number(parsed)
        if significant and significant not in starts:
            starts.append(significant)
    except phonenumbers.NumberParseException:
        pass
    suffixes = [digits[i:] for i in range(len(digits) - MIN_DIGIT_SUBSTRING + 1)]
    return starts, suffixes


def search_text_for(name: str | None, email: str | None,
                    identities: Iterable[tuple[str, str]]) -> str:
    """The indexed text of a contact; :mod:`plugins.contacts.search` explains the tokens.

    Lives here, beside the address forms it reads, so the models can keep it current
    without importing the search module.
    """
    starts: list[str] = []
    words: list[str] = []
    name_words = NAME_WORD.findall(fold(name))
    if name_words:
        starts.append("_".join(name_words))
        words.extend(name_words)
    emails = [email] if email else []
    for kind, address in identities:
        number = phone_of(kind, address)
        if number:
            phone_starts, suffixes = _phone_tokens(number)
            starts.extend(phone_starts)
            words.extend(suffixes)
        elif kind == "email":
            emails.append(address)
        elif address:
            starts.append(address_token(address))
    for value in emails:
        token = address_token(value)
        if token:
            starts.append(token)
            domain = token.partition("@")[2]
            if domain:
                words.append(domain)
    tokens = dict.fromkeys([START + s for s in starts if s] + [w for w in words if w])
    return " ".join(tokens)
