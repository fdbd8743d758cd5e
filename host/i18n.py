"""Languages and time zones: which language and zone a request speaks, through Flask-Babel.

The signed-in agent's own choice (profile page, ``language`` / ``time_zone`` on the agent)
comes first; an agent who has not chosen gets the best match of the browser's
``Accept-Language`` among :data:`LANGUAGES`, and times in UTC on the server (the browser
formats the console's times in its own zone until the agent picks one).

Server strings live in one gettext catalog, ``host/translations`` (``make messages``
extracts and updates it, ``make setup`` compiles it); a plugin installed with pip may ship
its own ``translations`` folder next to its module, which is merged in (see
:func:`translation_directories`).
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytz
from babel import Locale
from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale, get_timezone, refresh
from flask_login import current_user

HERE = Path(__file__).resolve().parent

#: The interface languages Switchboard speaks, by code, each named in itself.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "pl": "Polski"}
DEFAULT_LANGUAGE = "en"
#: Languages written right to left (none of ours yet; the layout is tested with ``dir=rtl``).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

#: CLDR's minimumGroupingDigits where it is not 1 (Babel's data leaves it out; the browser's
#: Intl applies it): Spanish and Polish write 1600 without a separator and 16 000 with one.
MIN_GROUPING_DIGITS: dict[str, int] = {"es": 2, "pl": 2}

babel = Babel()


@cache
def time_zones() -> tuple[str, ...]:
    """The zones an agent may pick: the IANA zones in current use (pytz's common list)."""
    return tuple(pytz.common_timezones)


def valid_time_zone(name: str | None) -> bool:
    return bool(name) and name in set(time_zones())


def valid_language(code: str | None) -> bool:
    return code in LANGUAGES


def browser_language() -> str:
    """The best of our languages for this request's ``Accept-Language`` (English if none fits)."""
    try:
        return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    except RuntimeError:  # outside a request
        return DEFAULT_LANGUAGE


def _signed_in_agent():
    try:
        if current_user and current_user.is_authenticated:
            return current_user
    except (AttributeError, RuntimeError):  # no request, or before Flask-Login is set up
        return None
    return None


def language_of(agent) -> str:
    """The agent's chosen language, else the browser's (outside a request: English)."""
    chosen = getattr(agent, "language", None)
    return chosen if valid_language(chosen) else browser_language()


def select_language() -> str:
    agent = _signed_in_agent()
    return language_of(agent) if agent is not None else browser_language()


@contextmanager
def speaking(agent):
    """Speak ``agent``'s language inside the block: for work done for an agent who is not
    the request's signed-in user (a Socket.IO event, a background check)."""
    with force_locale(language_of(agent)):
        yield


def select_time_zone() -> str | None:
    agent = _signed_in_agent()
    zone = getattr(agent, "time_zone", None) if agent is not None else None
    return zone if valid_time_zone(zone) else None


def current_language() -> str:
    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LANGUAGE


def format_number(value: int | float, format: str | None = None) -> str:
    """``value`` as the request's language writes numbers, the way the browser's
    ``Intl.NumberFormat`` writes it: Babel's pattern and symbols, and the thousands
    separator only from CLDR's minimum grouping digits on ("1600" but "16.000" in Spanish),
    so a number reads the same in a server sentence and in the console."""
    locale = get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    pattern = locale.decimal_formats.get(None)
    size = pattern.grouping[0] if pattern is not None else 3
    minimum = MIN_GROUPING_DIGITS.get(str(locale.language), 1)
    grouped = abs(int(value)) >= 10 ** (size + minimum - 1)
    return format_decimal(value, format=format, locale=locale, group_separator=grouped)


def current_time_zone() -> str:
    return str(get_timezone() or "UTC")


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_language()) in RTL_LANGUAGES else "ltr"


def language_options() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


def time_zone_label(name: str) -> str:
    """"Europe/Warsaw" as people read it: "Europe/Warsaw (Central European Time)" in the
    request's language."""
    from babel.dates import get_timezone_name

    try:
        return f"{name.replace('_', ' ')} ({get_timezone_name(pytz.timezone(name), locale=get_locale())})"
    except (LookupError, ValueError):
        return name.replace("_", " ")


def translation_directories(app: Flask, plugin_modules=()) -> str:
    """Flask-Babel's ``BABEL_TRANSLATION_DIRECTORIES``: the host's catalog, then any
    ``translations`` folder a plugin's package ships (merged message by message)."""
    folders = [str(HERE / "translations")]
    for module in plugin_modules:
        folder = Path(getattr(module, "__file__", "") or ".").resolve().parent / "translations"
        if folder.is_dir() and str(folder) not in folders:
            folders.append(str(folder))
    return ";".join(folders)


def init_i18n(app: Flask, plugin_modules=()) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(app, plugin_modules)
    babel.init_app(app, locale_selector=select_language, timezone_selector=select_time_zone)

    @app.before_request
    def fresh_language():
        # Flask-Babel caches the choice on the app context, which can outlive one request
        # (tests, the CLI): every request chooses again.
        refresh()

    @app.context_processor
    def language_globals():
        language = current_language()
        return {"page_language": language, "page_direction": text_direction(language)}


def and_list(items: list[str]) -> str:
    """"A, B and C" in the request's language (one item alone as it is)."""
    from flask_babel import gettext

    if len(items) <= 1:
        return "".join(items)
    return gettext("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


def locale_name(code: str) -> str:
    """A language's name in that language ("Polski")."""
    return LANGUAGES.get(code) or Locale.parse(code).get_display_name(code) or code
