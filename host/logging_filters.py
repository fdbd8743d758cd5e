"""Keep secrets out of logs.

Masking happens in the log-record factory, so it covers every logger and every handler
(including ones added later, such as a test's log capture). Known secret values (auth
tokens, API keys) are registered with :func:`register_secret` when settings are read.
"""
from __future__ import annotations

import logging
import re
import threading

_PATTERNS = [
    re.compile(r"((?:Authorization|authorization)['\"]?\s*[:=]\s*['\"]?(?:Basic|Bearer)\s+)[A-Za-z0-9+/=._\-]+"),
    re.compile(r"sbt_[A-Za-z0-9_\-]{20,}"),
]
_secrets: set[str] = set()  # process-wide on purpose: log records are process-wide too
_lock = threading.Lock()
_installed = False


def register_secret(value: str | None) -> None:
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def mask(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: m.group(1) + "***", text)
    text = _PATTERNS[1].sub("sbt_***", text)
    for secret in list(_secrets):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def install_secret_filter(app) -> None:
    global _installed
    register_secret(app.config.get("SECRET_KEY"))
    with _lock:
        if _installed:
            return
        _installed = True
    base = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return record
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
