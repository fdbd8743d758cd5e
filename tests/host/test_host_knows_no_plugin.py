"""The host knows no plugin: no host file (Python, JavaScript, CSS, templates) names a
built-in plugin or one of its channels. Channels describe themselves instead
(host/channel_descriptions.py): badges, call events and address formats come from there.

The words come from what the built-in plugins register (their names, their channels' keys
and labels), so a new plugin or channel is covered without editing this test. Channel keys
and labels count wherever they stand as a word; a plugin's name where code names the plugin
(quoted, in a plugin path, as an event prefix or "<name> plugin"), since a name such as
``contacts`` is also an ordinary word for the host's own contact records.
"""
from __future__ import annotations

import re
from pathlib import Path

import host

HOST = Path(host.__file__).resolve().parent
PATTERNS = ("*.py", "*.js", "*.mjs", "*.css", "*.html")


def builtin_words(app) -> dict[str, str]:
    """word -> what it is, for every plugin shipped in the ``plugins`` package."""
    sb = app.extensions["switchboard"]
    builtin = {name for name, info in sb.plugins.plugins.items()
               if getattr(info.plugin, "__name__", "").startswith("plugins.")}
    words = {name: f"the plugin {name}" for name in builtin}
    for key, (owner, channel) in sb.channels.items():
        if owner in builtin:
            words[key] = f"the channel key of {owner}"
            words[channel.label] = f"the channel label of {owner}"
    return words


def mentions(text: str, word: str, plugin: bool = False) -> bool:
    w = re.escape(word)
    if not plugin or "_" in word:
        return re.search(rf"(?<![A-Za-z0-9_]){w}(?![A-Za-z0-9_])", text) is not None
    named = (rf"[\"'`]{w}[\"'`]", rf"plugins[./]{w}(?![A-Za-z0-9_])", rf"(?<![\w-]){w}:(?=\w)",
             rf"(?<![A-Za-z0-9_]){w}\s+plugin")
    return any(re.search(pattern, text) for pattern in named)


def host_files():
    for pattern in PATTERNS:
        for path in sorted(HOST.rglob(pattern)):
            if "dist" not in path.relative_to(HOST).parts:
                yield path


def test_the_words_come_from_the_registered_plugins(app):
    words = builtin_words(app)
    kinds = {what.split(" of ")[0].rsplit(" ", 1)[0] if what.startswith("the plugin") else what.split(" of ")[0]
             for what in words.values()}
    assert kinds == {"the plugin", "the channel key", "the channel label"}, words
    # the matcher finds a word however code writes it, and not inside longer words
    for word, what in words.items():
        if what.startswith("the plugin"):
            assert all(mentions(text, word, plugin=True) for text in (
                f'enabled("{word}")', f"plugins/{word}/static", f'"{word}:sync"', f"the {word} plugin's tables"))
        else:
            assert mentions(f".ch-{word} {{ }}", word) and mentions(f'"{word}:"', word)
    assert not mentions("voicemail", "voice") and not mentions("ContactsTable", "contacts")
    assert not mentions("contacts = [resolve(channel, address)]", "contacts", plugin=True)


def test_no_host_file_names_a_builtin_plugin_or_channel(app):
    words = builtin_words(app)
    found = []
    for path in host_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for word, what in words.items():
                if mentions(line, word, plugin=what.startswith("the plugin")):
                    found.append(f"{path.relative_to(HOST.parent)}:{number}: {word!r} ({what}): {line.strip()[:90]}")
    assert found == [], "The host names plugins or their channels:\n" + "\n".join(found)
