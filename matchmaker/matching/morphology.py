"""Dictionary forms of words, so inflected and affixed spellings meet the vocabulary's terms.

- Russian: pymorphy3 with its OpenCorpora dictionary gives the lemma ("кресла" → "кресло",
  "из ротанга" → "ротанг", "сиденья" → "сиденье"). Product texts are noun phrases, so a noun,
  adjective or participle reading wins over a likelier verb ("стали" is steel, not "стать"), and a
  participle keeps its own form ("замороженные" → "замороженный", not the verb "заморозить").
- Indonesian: Sastrawi removes affixes only when what remains is in its dictionary of root words
  ("pakaian" → "pakai", "berlengan" → "lengan", but "kemeja" stays a shirt and never becomes "meja").
- Kazakh: no permissively licensed, maintained Kazakh analyser exists on PyPI, so a short list of
  the commonest noun suffixes (plural, possessive, case) is stripped, longest first, and only when a
  stem of at least three letters remains ("креслосы" → "кресло", "сүттің" → "сүт").

Both libraries are loaded once, on first use, under a lock, and only read afterwards; every result
is cached per word, because catalogues repeat the same few thousand words. ``known`` says whether a
dictionary knows a word: a real word is never taken for a typo of another one ("сидней" is Sydney,
not "сиденье").
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

__all__ = ["lemma", "known", "kazakh_stem", "expand_abbreviations", "DICTIONARIES"]

DICTIONARIES = ("ru", "id")  # the languages whose dictionaries tell a real word from a typo

_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}
_CYRILLIC_WORD = re.compile(r"[а-яё-]+")
_LATIN_WORD = re.compile(r"[a-z-]+")
# Sastrawi tries every rule on a word before giving up, which is slow; a word with none of these
# prefixes or suffixes has nothing to remove (its infix rules only made "cium" of "cerium").
_INDONESIAN_AFFIX = re.compile(r"^(?:di|ke|se|be|te|pe|me)|(?:i|an|kan|nya|lah|kah|tah|pun|ku|mu)$")
# A product text names things: prefer these readings of an ambiguous Russian word; short forms
# ("ковров" as short "ковровый") are rare in listings and come after full ones ("ковров" = carpets).
_NOMINAL = (frozenset({"NOUN", "ADJF", "PRTF"}), frozenset({"ADJS", "PRTS"}))
# A town or a surname spelt like a common word ("Ковров", a town) is not what a listing means.
_PROPER = frozenset({"Geox", "Surn", "Name", "Patr", "Orgn", "Trad"})
_PARTICIPLE = frozenset({"PRTF", "PRTS"})
_KAZAKH_SUFFIXES = sorted((
    # plural
    "лар", "лер", "дар", "дер", "тар", "тер",
    # possessive (3rd person) and plural + possessive
    "ы", "і", "сы", "сі", "лары", "лері", "дары", "дері", "тары", "тері",
    # genitive, dative, locative, ablative, accusative, instrumental
    "ның", "нің", "дың", "дің", "тың", "тің",
    "ға", "ге", "қа", "ке", "на", "не",
    "да", "де", "та", "те", "нда", "нде",
    "дан", "ден", "тан", "тен", "нан", "нен",
    "ны", "ні", "ды", "ді", "ты", "ті", "н",
    "мен", "бен", "пен",
), key=len, reverse=True)
_KAZAKH_MIN_STEM = 3
# Slash abbreviations of Russian price lists and receipts, written out: split at the slash they
# would be two letters and a stop word ("с/м" → "м", any metre), joined they would be words
# ("см" is a centimetre).
_ABBREVIATIONS = {
    "с/м": "свежемороженый", "в/м": "варено-мороженый", "б/к": "бескостный", "н/к": "на кости",
    "б/г": "без головы", "х/к": "холодного копчения", "г/к": "горячего копчения",
    "с/к": "сырокопченый", "в/к": "варено-копченый", "ж/б": "жестяная банка",
    "х/б": "хлопчатобумажный", "б/у": "бывший в употреблении", "у/п": "ультрапастеризованный",
    "в/у": "вакуумная упаковка", "п/ф": "полуфабрикат", "в/с": "высший сорт", "т/м": "торговая марка",
}
_ABBREVIATION = re.compile(r"(?<![\w/])[а-яё]/[а-яё](?![\w/])")
_SLASHED = re.compile(r"[а-яё]/[а-яё]")  # found many times faster: tells most texts have none


def _load(name: str):
    """Build a library's analyser once, whichever thread asks first."""
    with _LOCK:
        if name not in _LOADED:
            if name == "ru":
                import pymorphy3

                _LOADED[name] = pymorphy3.MorphAnalyzer(lang="ru")
            else:
                from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
                from Sastrawi.Stemmer.Stemmer import Stemmer
                from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

                # The plain stemmer keeps no state between calls (its result cache, which we do not
                # use, is the only thing CachedStemmer adds); our lru_cache does the caching.
                words = StemmerFactory().get_words()
                _LOADED[name] = Stemmer(ArrayDictionary([w for w in words if w]))
        return _LOADED[name]


def _analyser(name: str):
    found = _LOADED.get(name)
    return found if found is not None else _load(name)


def expand_abbreviations(text: str) -> str:
    """Lower-case text with its slash abbreviations written out.

    >>> expand_abbreviations("креветки с/м 40/50, говядина б/к")
    'креветки свежемороженый 40/50, говядина бескостный'
    """
    if "/" not in text or not _SLASHED.search(text):
        return text
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS.get(m.group(0), m.group(0)), text)


@lru_cache(maxsize=500_000)
def lemma(word: str, language: str) -> str:
    """The dictionary form of one normalised word; unknown words and other languages unchanged.

    >>> lemma("кресла", "ru"), lemma("ротанга", "ru"), lemma("стали", "ru")
    ('кресло', 'ротанг', 'сталь')
    >>> lemma("замороженные", "ru"), lemma("pakaian", "id"), lemma("kemeja", "id")
    ('замороженный', 'pakai', 'kemeja')
    >>> lemma("креслосы", "kk"), lemma("chairs", "en")
    ('кресло', 'chairs')
    """
    if language == "ru" and _CYRILLIC_WORD.fullmatch(word):
        return _russian_lemma(word)
    if language == "id" and _LATIN_WORD.fullmatch(word) and _INDONESIAN_AFFIX.search(word):
        return _analyser("id").stem_word(word) or word
    if language == "kk":
        return kazakh_stem(word)
    return word


def _russian_lemma(word: str) -> str:
    morph = _analyser("ru")
    if not morph.word_is_known(word):
        return word  # a guessed lemma of an unknown word is noise; the stemmer handles its endings
    parses = morph.parse(word)
    common = [p for p in parses if not (_PROPER & p.tag.grammemes)] or parses
    best = next((p for kinds in _NOMINAL for p in common if p.tag.POS in kinds), common[0])
    if best.tag.POS in _PARTICIPLE:
        form = best.inflect({"sing", "masc", "nomn"} | ({"PRTF"} if best.tag.POS == "PRTS" else set()))
        return (form.word if form else best.normal_form).replace("ё", "е")
    return best.normal_form.replace("ё", "е")


@lru_cache(maxsize=200_000)
def known(word: str, language: str) -> bool:
    """Whether the language's dictionary knows ``word`` (Russian and Indonesian; else False).

    >>> known("сидней", "ru"), known("сиденя", "ru"), known("meja", "id"), known("jatti", "id")
    (True, False, True, False)
    """
    if language == "ru" and _CYRILLIC_WORD.fullmatch(word):
        return _analyser("ru").word_is_known(word)
    if language == "id" and _LATIN_WORD.fullmatch(word):
        stemmer = _analyser("id")
        if stemmer.get_dictionary().contains(word):
            return True
        # Without an affix Sastrawi finds no other root (see lemma); skipping it spares the slowest
        # call of a build on a catalogue full of typos. With one, lemma (cached) has its root.
        return bool(_INDONESIAN_AFFIX.search(word)) and stemmer.get_dictionary().contains(lemma(word, "id"))
    return False


@lru_cache(maxsize=200_000)
def kazakh_stem(word: str) -> str:
    """Strip one Kazakh inflectional ending, then possibly one more (plural before case).

    >>> kazakh_stem("сүттің"), kazakh_stem("балықтар"), kazakh_stem("жиһаздарды"), kazakh_stem("ет")
    ('сүт', 'балық', 'жиһаз', 'ет')
    """
    for _ in range(2):
        for suffix in _KAZAKH_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _KAZAKH_MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word
