"""Contact search on SQLite (FTS5) and PostgreSQL (GIN on a tsvector), same assertions.

PostgreSQL cases use the host's ``postgres_url`` fixture (a fresh database per test from
SWITCHBOARD_TEST_POSTGRES_URL): without a server they skip, except under CI=true, where
they fail.
"""
from __future__ import annotations

import pytest
from flask import Flask

import host.models  # noqa: F401  (contacts reference groups and agents)
from host import db_listeners
from host.extensions import db
from plugins.contacts.models import (AGENT, CHANNEL, Contact, ContactIdentity, ContactNote,
                                     find_contact, refresh_derived_fields)
from plugins.contacts.search import (_next_prefix, browse, count, drop_search_ddl,
                                     ensure_search_index, search_contacts, search_ddl)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def session(request, tmp_path):
    app = Flask(__name__)
    if request.param == "sqlite":
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'contacts.sqlite3'}"
    else:
        app.config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("postgres_url")
    db.init_app(app)
    # A bare app (no create_app): attach what the plugin registers in a full one.
    db_listeners.install(app)
    db_listeners.listen(app, "before_flush", refresh_derived_fields)
    with app.app_context():
        db.create_all()
        ensure_search_index(db.engine)
        yield db.session
        db.session.remove()
        db.engine.dispose()


def add(session, name="", email=None, *identities):
    contact = Contact(name=name, email=email,
                      identities=[ContactIdentity(kind=k, address=a) for k, a in identities])
    session.add(contact)
    session.commit()
    return contact


def names(session, q, **kw):
    return [c.name for c in search_contacts(session, q, **kw)]


@pytest.fixture
def people(session):
    return {
        "maria": add(session, "María García", "maria.garcia@acme.com",
                     ("phone", "+14155552671"), ("whatsapp", "whatsapp:+14155552671")),
        "mario": add(session, "Mario Rossi", None, ("phone", "+442079460958")),
        "ann": add(session, "Ann Lee", "ann.lee@example.org", ("email", "ann.lee@example.org")),
        "sean": add(session, "Seán O'Brien", None, ("phone", "+16505550123")),
    }


def test_name_prefix_of_any_word(session, people):
    assert set(names(session, "mar")) == {"María García", "Mario Rossi"}
    assert names(session, "garc") == ["María García"]        # second word, accent folded
    assert names(session, "GARCÍA") == ["María García"]
    assert names(session, "maria g") == ["María García"]     # first word + start of second
    assert names(session, "garcia maria") == ["María García"]  # words in any order
    assert names(session, "obri") == ["Seán O'Brien"]        # apostrophe ignored
    assert names(session, "o'brien") == ["Seán O'Brien"]
    assert names(session, "sean") == ["Seán O'Brien"]
    assert names(session, "zzz") == []


def test_one_and_two_letter_words(session):
    add(session, "Olga Jensen", "olga@hooli.xyz")
    add(session, "Olga Ivanova")
    add(session, "R2 D2")
    assert names(session, "olga j") == ["Olga Jensen"]
    assert names(session, "j olga") == ["Olga Jensen"]        # words in any order
    assert names(session, "ol je") == ["Olga Jensen"]
    assert names(session, "olga h") == ["Olga Jensen"]        # the email's domain
    assert names(session, "d2 r") == ["R2 D2"]
    assert names(session, "olga x") == []
    assert count(session, "olga j") == 1 and count(session, "o") == 2


def test_start_prefixes_are_key_ranges(session):
    """PostgreSQL reads start tokens as btree ranges: the range must end right after the
    prefix, whatever its last character."""
    add(session, "Lin Ng", "lin.ng@example.com")
    add(session, "Lina Ng", "lin@example.com")
    add(session, "Linz", "lio@example.com")
    assert names(session, "lin.n") == ["Lin Ng"]
    assert names(session, "lio") == ["Linz"]
    assert names(session, "lina") == ["Lina Ng"]
    assert names(session, "lin") == ["Linz", "Lina Ng", "Lin Ng"]
    assert names(session, "li") == ["Linz", "Lina Ng", "Lin Ng"]
    assert [_next_prefix(p) for p in ("^lin.", "^a", "^\ud7ff")] == ["^lin/", "^b", "^\ue000"]


@pytest.mark.parametrize("typed", ["415 555", "4155552671", "+1 (415)", "(415) 555-2671",
                                   "+1 415-555-2671", "14155552671", "555 26", "2671",
                                   "555.2671", "267"])
def test_phone_digits_in_any_format(session, people, typed):
    assert names(session, typed) == ["María García"]


def test_phone_national_format_with_trunk_prefix(session, people):
    assert names(session, "020 7946") == ["Mario Rossi"]
    assert names(session, "+44 20 7946 0958") == ["Mario Rossi"]
    assert names(session, "0044 20") == []   # "00" is typed as digits: no number has them


def test_email_prefix_and_domain(session, people):
    assert names(session, "ann.l") == ["Ann Lee"]
    assert names(session, "ann.lee@ex") == ["Ann Lee"]
    assert names(session, "maria.garcia@acme.com") == ["María García"]
    assert names(session, "acme") == ["María García"]         # the domain
    assert names(session, "example.org") == ["Ann Lee"]


def test_prefixes_longer_than_the_indexed_ones_are_exact(session):
    add(session, "Christophe Durand", "christophe.durand@example.com")
    topher = add(session, "Christopher Lee", "christopher.lee@example.com")
    add(session, "Anna Christophersen")
    assert names(session, "christopher") == ["Christopher Lee", "Anna Christophersen"]
    assert names(session, "christopher l") == ["Christopher Lee"]
    assert names(session, "christopher.lee@") == ["Christopher Lee"]
    # Both names start with it: newest first; then the word match.
    assert names(session, "christophe") == ["Christopher Lee", "Christophe Durand",
                                            "Anna Christophersen"]
    assert names(session, "christophersen") == ["Anna Christophersen"]
    assert count(session, "christopher") == 2 and topher.id


def test_ranking_exact_then_prefix_then_words_newest_first(session):
    word_old = add(session, "Mary Ann Jones")
    prefix = add(session, "Annabel Smith")
    exact = add(session, "Ann")
    word_new = add(session, "Kofi Annan")
    email = add(session, "Zed", "ann@example.com")
    found = search_contacts(session, "ann")
    # "Ann" exactly; then names/emails starting with it (newest first); then words.
    assert [c.id for c in found] == [exact.id, email.id, prefix.id, word_new.id, word_old.id]


def test_pagination_and_count_follow_the_ranking(session):
    for i in range(12):
        add(session, f"Kim Park {i}")           # prefix tier
        add(session, f"Lee Kimball {i}")       # word tier
    add(session, "Kim")                         # exact tier
    everything = [c.id for c in search_contacts(session, "kim", limit=100)]
    assert len(everything) == count(session, "kim") == 25
    pages = [c.id for offset in range(0, 25, 7)
             for c in search_contacts(session, "kim", limit=7, offset=offset)]
    assert pages == everything
    assert count(session, "") == 25
    assert count(session, "nobody") == 0


def test_updates_and_deletes_are_reflected(session, people):
    maria = people["maria"]
    maria.set_by_agent(name="Marta Gómez")
    session.commit()
    assert names(session, "garcia") == []
    assert names(session, "gomez") == ["Marta Gómez"]
    assert names(session, "mari") == ["Marta Gómez", "Mario Rossi"] or \
        set(names(session, "mari")) == {"Marta Gómez", "Mario Rossi"}   # email still maria.

    mario = people["mario"]
    mario.identities.append(ContactIdentity(kind="phone", address="+13125550199"))
    session.commit()
    assert names(session, "312 555") == ["Mario Rossi"]

    session.delete(mario.identities[0])          # the UK number
    session.commit()
    assert names(session, "020 7946") == []
    assert names(session, "312 555") == ["Mario Rossi"]

    session.delete(people["ann"])
    session.commit()
    assert names(session, "ann") == []
    assert session.query(ContactIdentity).filter_by(address="ann.lee@example.org").count() == 0


def test_odd_queries_do_not_break_the_index_syntax(session, people):
    for q in ['"', "*", "^", "'", "(", ")", "\\", ":", "&", "|", "!", "NOT", "OR mar",
              "a AND b", "mar*", "-mar", "@", "+", ".", "   ", "", None, "x" * 500]:
        assert isinstance(search_contacts(session, q), list)
        assert isinstance(count(session, q), int)
    assert names(session, "mar*") == names(session, "mar")


def test_browse_by_name_and_recent(session):
    zoe, unnamed, adam = add(session, "Zoë Zhang"), add(session, "", None), add(session, "adam Ant")
    bob = add(session, "Bob Brown")
    page = browse(session, sort="name", page=1, per_page=2)
    assert [c.id for c in page.items] == [adam.id, bob.id] and page.has_next
    page = browse(session, sort="name", page=2, per_page=2)
    assert [c.id for c in page.items] == [zoe.id, unnamed.id] and not page.has_next
    bob.set_by_agent(name="Bobby Brown")
    session.commit()
    assert browse(session, sort="recent", per_page=1).items == [bob]
    with pytest.raises(ValueError):
        browse(session, sort="size")


def test_channel_data_never_overwrites_an_agent_edit(session):
    contact = add(session, "")
    assert contact.apply_channel_profile(name="wa_user_1", email="x@example.com")
    assert (contact.name, contact.name_source, contact.email_source) == ("wa_user_1", CHANNEL, CHANNEL)
    contact.set_by_agent(name="Ann Lee")
    assert not contact.apply_channel_profile(name="wa_user_2")
    assert (contact.name, contact.name_source) == ("Ann Lee", AGENT)
    session.commit()
    assert names(session, "ann lee") == ["Ann Lee"]


def test_sms_number_finds_the_whatsapp_contact(session):
    contact = add(session, "Ann", None, ("whatsapp", "whatsapp:+14155552671"))
    assert find_contact(session, "phone", "+14155552671") == contact
    assert find_contact(session, "whatsapp", "whatsapp:+14155552671") == contact
    assert find_contact(session, "phone", "+14155550000") is None
    assert contact.phone_numbers() == ["+14155552671"]


def test_notes_cascade_with_the_contact(session):
    contact = add(session, "Ann")
    session.add(ContactNote(contact=contact, body="Prefers evenings"))
    session.commit()
    assert [n.body for n in contact.notes] == ["Prefers evenings"]
    session.delete(contact)
    session.commit()
    assert session.query(ContactNote).count() == 0


def test_ddl_is_idempotent_and_per_dialect(session):
    ensure_search_index(db.engine)   # a second run must not fail
    for dialect in ("sqlite", "postgresql"):
        assert all(isinstance(sql, str) for sql in search_ddl(dialect) + drop_search_ddl(dialect))
    with pytest.raises(NotImplementedError):
        search_ddl("mysql")
