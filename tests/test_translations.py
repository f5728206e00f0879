"""The whole interface speaks English, Bahasa Indonesia, Russian and Kazakh.

These tests fail when someone adds an interface string without translating it (run `make messages`,
then fill in the new entries), or when a translation loses a placeholder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "matchmaker" / "translations"
LOCALES = ("id", "ru", "kk")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{[a-z_]+[^}]*\}")
METHODS = [("matchmaker/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None, "N_plural": (1, 2)}


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_interface_string_is_translated(locale):
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(locale) if m.id}
    missing = sorted(source_messages() - set(translated))
    assert not missing, f"not in the {locale} catalogue (run make messages): {missing[:5]}"
    empty = [m_id for m_id, m in translated.items()
             if "fuzzy" in m.flags or not (m.string if isinstance(m.string, str) else all(m.string))]
    assert not empty, f"untranslated or fuzzy in {locale}: {empty[:5]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale):
    for message in catalog(locale):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        for target in targets:
            assert sorted(PLACEHOLDER.findall(target)) == sorted(PLACEHOLDER.findall(source)), (source, target)


@pytest.mark.parametrize("locale, word", [("ru", "Войти"), ("id", "Masuk"), ("kk", "Кіру"), ("en", "Log in")])
def test_login_page_speaks_the_chosen_language(client, locale, word):
    assert word in client.get(f"/login?lang={locale}").get_data(as_text=True)
