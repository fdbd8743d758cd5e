"""Every language is complete: no string left untranslated, none kept that the code no
longer uses, and every translation carries exactly the placeholders of the English."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("es", "pl")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """What the code says today, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "lazy_gettext",
                    "-k", "_l", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def catalog(language):
    with (ROOT / "host" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def ids(message_id):
    return message_id if isinstance(message_id, tuple) else (message_id,)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_server_string_is_translated_and_none_is_left_over(extracted, language):
    po = catalog(language)
    translated = {m.id for m in po if m.id and not m.fuzzy and all(ids(m.string))}
    missing = sorted(str(i) for i in extracted - translated)
    unused = sorted(str(m.id) for m in po if m.id and m.id not in extracted)
    assert not missing, f"{language}: not translated: {missing[:10]}"
    assert not unused, f"{language}: no longer in the code (run make messages): {unused[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_server_translations_keep_the_placeholders(language):
    wrong = []
    for message in catalog(language):
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(ids(message.id))))
        for form in ids(message.string):
            if set(PLACEHOLDER.findall(form)) != wanted:
                wrong.append((message.id, form))
    assert not wrong, f"{language}: placeholders differ from English: {wrong[:5]}"


def test_polish_plurals_have_all_three_forms():
    plural = [m for m in catalog("pl") if isinstance(m.id, tuple)]
    assert plural and all(len(m.string) == 3 and all(m.string) for m in plural)


def run_check(*packages):
    """host/frontend/i18n_check.mjs (FormatJS's ICU parser) over the given packages, or all."""
    answer = subprocess.run(["node", "host/frontend/i18n_check.mjs", "--json", *packages], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    return json.loads(answer.stdout), answer.returncode


def test_front_end_catalogs_match_the_code_in_every_language():
    report, status = run_check()
    assert report["problems"] == [] and status == 0
    host = next(p for p in report["packages"] if p["name"] == "host")
    assert host["keys"] > 0 and host["languages"] == ["en", *LANGUAGES]


def test_the_front_end_check_finds_missing_unused_and_mismatched_messages(tmp_path):
    package = tmp_path / "shouty"
    (package / "frontend").mkdir(parents=True)
    (package / "messages").mkdir()
    (package / "frontend" / "tab.js").write_text(
        'export function mount(el, ctx) {\n'
        '  el.textContent = ctx.t("greeting", { name: "Ana" }) + ctx.t("chats", { count: 2 });\n'
        '  el.title = ctx.t(`dynamic`) + ctx.t("nowhere");\n'
        '}\n')
    english = {"greeting": "Hello {name}", "chats": "{count, plural, one {# chat} other {# chats}}",
               "stale": "Nobody says this", "tab.shouty": "Shouty"}
    polish = {"greeting": "Cześć {imie}", "chats": "{count, plural, one {# czat} other {# czatów}}",
              "stale": "Nikt", "tab.shouty": "Głośno", "extra": "Nadmiar"}
    (package / "messages" / "en.json").write_text(json.dumps(english))
    (package / "messages" / "pl.json").write_text(json.dumps(polish))
    report, status = run_check(str(package))
    problems = "\n".join(report["problems"])
    assert status == 1
    assert "tab.js:3: t() needs its key as a literal string" in problems
    assert '"nowhere" is not in shouty\'s messages/en.json' in problems
    assert 'shouty en: "stale" is not used by the code' in problems
    assert '"greeting" has placeholders {imie}, English has {name}' in problems
    assert '"chats" plural {count} lacks few, many' in problems
    assert 'shouty pl: "extra" is not in English (unused)' in problems
    assert "tab.shouty" not in problems  # tab titles are read by the host
