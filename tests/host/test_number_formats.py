"""Numbers read the same in a server sentence and in the console: the server's
``format_number`` (Babel) writes what the browser's ``Intl.NumberFormat`` writes, CLDR's
minimum grouping digits included ("1600" but "16.000" in Spanish)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from flask_babel import force_locale

from host.attachments import readable_size
from host.i18n import LANGUAGES, format_number

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = [0, 7, 999, 1000, 1600, 9999, 10000, 16000, 123456, 1234567, -1600, -16000, 1600.5, 16000.25]


def browser_formats(language: str) -> list[str]:
    """What Intl.NumberFormat (Node's ICU, as Chromium's) writes for NUMBERS."""
    script = f"console.log(JSON.stringify({json.dumps(NUMBERS)}.map((n) => new Intl.NumberFormat("
    script += f"{json.dumps(language)}).format(n))))"
    answer = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_server_writes_numbers_as_the_browser_does(app, language):
    with app.test_request_context(), force_locale(language):
        server = [format_number(n) for n in NUMBERS]
    assert server == browser_formats(language)


def test_spanish_groups_thousands_only_from_five_digits(app):
    with app.test_request_context(), force_locale("es"):
        assert (format_number(1600), format_number(16000)) == ("1600", "16.000")
        assert (readable_size(6_500_000), readable_size(1_600_000_000)) == ("6,5 MB", "1600,0 MB")
    with app.test_request_context(), force_locale("en"):
        assert (format_number(1600), readable_size(6_500_000)) == ("1,600", "6.5 MB")
