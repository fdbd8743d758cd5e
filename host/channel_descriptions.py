"""What a channel says about itself, read once when it registers.

The console draws channel badges, rings for calls and formats addresses from these
descriptions (served in the page's bootstrap and at ``/api/v1/channels``), and the host
moves a customer's address between channels with them: no host module names a plugin or
a channel. A description that can't be drawn safely (a colour that is not ``#rrggbb``,
an unknown address kind, call events without names) stops start-up with an error, like
a duplicate key.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from flask import current_app

from host.contracts import AddressFormat, CallEvents, Channel, ChannelColour

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
ADDRESS_KINDS = ("phone", "email", "text")


class DescriptionError(ValueError):
    pass


@dataclass(frozen=True)
class ChannelDescription:
    key: str
    label: str
    plugin: str
    colour: ChannelColour | None
    address: AddressFormat
    text: bool
    media: dict | None          # {types, max_total, max_files}: the files it takes
    templates: bool
    calls: CallEvents | None

    def as_json(self) -> dict:
        data = asdict(self)
        data["carries"] = {name: data.pop(name) for name in ("text", "media", "templates", "calls")}
        return data


def describe(owner: str, channel: Channel) -> ChannelDescription:
    """The description of ``channel`` (registered by plugin ``owner``), checked."""
    key = channel.key
    colour = getattr(channel, "colour", None)
    drawable = isinstance(colour, ChannelColour) and HEX.match(colour.background) and HEX.match(colour.text)
    if colour is not None and not drawable:
        raise DescriptionError(f"channel {key!r}: colour must be a ChannelColour of two #rrggbb colours, "
                               f"not {colour!r}")
    address = getattr(channel, "address_format", None) or AddressFormat()
    if not isinstance(address, AddressFormat) or address.kind not in ADDRESS_KINDS:
        raise DescriptionError(f"channel {key!r}: address_format must be an AddressFormat of kind "
                               f"{', '.join(ADDRESS_KINDS)}, not {address!r}")
    calls = getattr(channel, "calls", None)
    if calls is not None and not (isinstance(calls, CallEvents) and calls.ringing and calls.answered):
        raise DescriptionError(f"channel {key!r}: calls must be CallEvents naming the ringing and answered "
                               f"events, not {calls!r}")
    rules = getattr(channel, "media_rules", None)
    media = None if rules is None else {"types": sorted(rules.types), "max_total": rules.max_total,
                                        "max_files": rules.max_files}
    return ChannelDescription(key=key, label=channel.label, plugin=owner, colour=colour, address=address,
                              text=not getattr(channel, "text_refusal", None), media=media,
                              templates=bool(getattr(channel, "templates", callable(getattr(channel, "render_template", None)))),
                              calls=calls)


def description(key: str | None) -> ChannelDescription | None:
    """The description of registered channel ``key`` (its plugin on or off), or None."""
    return current_app.extensions["switchboard"].descriptions.get(key or "")


def channel_address(channel: str, address: str) -> str:
    """The customer's address on ``channel`` when they came by another channel that shares
    their phone number: the number, with the prefix ``channel`` writes before it."""
    descriptions = current_app.extensions["switchboard"].descriptions
    bare = address
    for other in descriptions.values():
        if other.address.kind == "phone" and other.address.prefix and address.startswith(other.address.prefix):
            bare = address[len(other.address.prefix):]
            break
    target = descriptions.get(channel)
    if target is not None and target.address.kind == "phone" and bare.startswith("+"):
        return target.address.prefix + bare
    return address


def call_channel_for(channel: str | None) -> str | None:
    """The channel a call on a chat of ``channel`` is recorded on: that channel when it
    carries calls, else the first of its plugin's that does, else the first registered."""
    descriptions = current_app.extensions["switchboard"].descriptions
    own = descriptions.get(channel or "")
    calling = [d for d in descriptions.values() if d.calls is not None]
    if own is not None and own.calls is not None:
        return own.key
    found = [d for d in calling if own is not None and d.plugin == own.plugin] or calling
    return found[0].key if found else None
