"""Which of our numbers, WhatsApp senders or Messaging Services a message leaves from.

Read when a message is sent (:mod:`.channels`) and when the WhatsApp window is worked out
for the sender a reply would use (:mod:`.whatsapp_window`), so it depends on neither.
"""
from __future__ import annotations

from host.plugin_api import db, Group

from plugins.twilio_channel.settings import SERVICE_SID, TwilioConfig

WHATSAPP = "whatsapp:"


def bare(address: str | None) -> str:
    return (address or "").removeprefix(WHATSAPP)


def _group_of(key: str, mapping: dict, groups: dict) -> int | None:
    value = mapping.get(key)
    if value is None:
        return None
    return groups.get(str(value))


def group_lookup() -> dict:
    """Group id by str(id) and by name, for the number → group mapping."""
    rows = db.session.execute(db.select(Group.id, Group.name)).all()
    return {**{str(gid): gid for gid, _ in rows}, **{name: gid for gid, name in rows}}


def choose_sender(config: TwilioConfig, channel: str, sticky: str | None, group_id: int | None) -> str | None:
    """Which of our numbers a message leaves from; None means "the Messaging Service".

    The chat's sticky sender wins when it can carry this channel (a chat that moved from
    SMS to WhatsApp may be bound to an SMS-only number); then a number mapped to the
    chat's group, the default sender, and the first number of the channel.
    """
    whatsapp = channel == "whatsapp"
    wa_bare = {bare(s) for s in config.whatsapp_senders}

    def fits(candidate: str | None) -> str | None:
        if not candidate:
            return None
        if SERVICE_SID.match(candidate):
            return candidate
        if whatsapp:
            if candidate.startswith(WHATSAPP) or bare(candidate) in wa_bare or not wa_bare:
                return WHATSAPP + bare(candidate)
            return None
        if not candidate.startswith(WHATSAPP):
            return candidate
        return bare(candidate) if bare(candidate) in config.numbers else None

    chosen = fits(sticky)
    if chosen:
        return chosen
    if group_id is not None and config.number_groups:
        groups = group_lookup()
        for key in config.number_groups:
            carries_it = (SERVICE_SID.match(key) or (whatsapp and (key.startswith(WHATSAPP) or bare(key) in wa_bare))
                          or (not whatsapp and not key.startswith(WHATSAPP)))
            if _group_of(key, config.number_groups, groups) == group_id and carries_it:
                chosen = fits(key)
                if chosen:
                    return chosen
    chosen = fits(config.default_sender)
    if chosen:
        return chosen
    pool = config.whatsapp_senders if whatsapp else config.numbers
    return pool[0] if pool else None
