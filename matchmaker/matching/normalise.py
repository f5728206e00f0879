"""Text normalisation shared by every component: one place decides what a "word" is.

Everything is cached per distinct token, because catalogues repeat the same few thousand words:
stemming 100,000 product texts token by token would otherwise dominate the run time.

Every function here may be called from many request threads at once: the caches are thread-safe
and each thread has stemmers of its own, because a Snowball stemmer keeps the word it is working
on inside itself.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import Stemmer

from matchmaker.matching.morphology import expand_abbreviations, known, lemma

__all__ = ["normalise", "tokens", "clause_tokens", "clause_tokens_many", "Words", "detect_language",
           "detect_languages", "stem", "transliterate", "phonetic"]

_NON_WORD = re.compile(r"[^\w]+|_")
_WORD = re.compile(r"[^\W_]+")  # what remains between _NON_WORD's matches: finding it is quicker
# Clauses of a text: a concept's weight and HS vote depend on the clause it is named in.
CLAUSE = re.compile(r"[;:,()\[\]\n]")
# Put where a clause ends once the text is lower-case, so no text can hold it.
_CLAUSE_MARK = "QCLAUSEQ"
_TEXT_MARK = "QTEXTQ"  # the same, between the texts of a batch
_CYRILLIC = re.compile(r"[а-я]")
_KAZAKH = re.compile(r"[әғқңөұүһі]")
_ALGORITHMS = {"en": "english", "id": "indonesian", "ru": "russian"}
_per_thread = threading.local()

# Function words, written by us; used to guess the language of Latin text and dropped from word
# features because they say nothing about the product. «без» is kept: «без кости» is boneless.
STOPWORDS = {
    "en": frozenset("a an and or of for with the in on to by from other than not its their as at "
                    "is are be whether mainly solely wholly chiefly".split()),
    "id": frozenset("dan atau dari untuk dengan yang di ke ini itu lain lainnya selain tidak "
                    "berupa dalam oleh pada juga".split()),
    "ru": frozenset("и или из для с со в во на к по от не кроме их его как что прочие прочий "
                    "прочая прочее".split()),
    "kk": frozenset("және мен бен пен немесе үшін арналған бойынша да де та те мен жоқ емес басқа "
                    "сияқты".split()),
}

_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "қ": "k", "ғ": "g", "ү": "u", "ұ": "u",
    "ө": "o", "ә": "a", "ң": "n", "һ": "h", "і": "i",
})
# Spelling differences between English, Indonesian and transliterated Russian cognates
# ("synthetic", "sintetis", "синтетический"; "polyester", "poliester", "полиэстер").
_PHONETIC = [(re.compile(p), r) for p, r in (
    (r"ph", "f"), (r"th", "t"), (r"kh", "h"), (r"ch", "c"), (r"y", "i"), (r"w", "v"), (r"x", "ks"),
    (r"q", "k"), (r"c(?=[^h]|$)", "k"), (r"(.)\1", r"\1"),
)]


def normalise(text: str | None) -> str:
    """Lower-case, Unicode NFKC, ё→е, slash abbreviations written out, punctuation to spaces.

    >>> normalise("  Ёлка-Мебель, 100% «тик»! ")
    'елка мебель 100 тик'
    """
    if not text:
        return ""
    text = expand_abbreviations(unicodedata.normalize("NFKC", text).lower().replace("ё", "е"))
    return " ".join(_NON_WORD.sub(" ", text).split())


def tokens(text: str | None) -> list[str]:
    """The words of a text after :func:`normalise`."""
    return normalise(text).split()


def clause_tokens(text: str | None) -> tuple[list[str], list[int]]:
    """The words of a text (as :func:`tokens`) and the clause each is in (split at ; : , brackets
    and line ends), the same as normalising each clause on its own, in one pass over the text.

    >>> clause_tokens("Fish, frozen; Ёлка (с/м)")
    (['fish', 'frozen', 'елка', 'свежемороженый'], [0, 1, 2, 3])
    """
    if not text:
        return [], []
    # One pass is exact when Unicode normalisation leaves the text as it is (it could turn a
    # full-width comma into a clause mark) and no Greek capital sigma lower-cases by context.
    if "Σ" in text or not unicodedata.is_normalized("NFKC", text):
        pieces = [tokens(piece) for piece in CLAUSE.split(text)]
    else:
        marked = CLAUSE.sub(f" {_CLAUSE_MARK} ", text.lower().replace("ё", "е"))
        pieces = [piece.split() for piece in _NON_WORD.sub(" ", expand_abbreviations(marked)).split(_CLAUSE_MARK)]
    words = [w for piece in pieces for w in piece]
    clauses = [k for k, piece in enumerate(pieces) for _ in piece] if len(pieces) > 1 else [0] * len(words)
    return words, clauses


@dataclass(frozen=True)
class Words:
    """The words of many texts, one after the other (``clause_tokens_many``): text ``i`` is
    ``words[bounds[i]:bounds[i + 1]]``; ``ids`` numbers each word by its place in ``distinct`` (the
    batch's distinct words in order of first occurrence) and ``clauses`` says which clause it is in."""

    words: list[str]
    ids: np.ndarray
    distinct: list[str]
    bounds: np.ndarray
    clauses: np.ndarray

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def text_of(self) -> np.ndarray:
        """The text each word belongs to."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.bounds))


def clause_tokens_many(texts: list[str]) -> Words:
    """``clause_tokens`` of each text, as one batch: the texts are normalised together, in one pass
    of each regex over all of them, which spares most of the per-text cost of many short texts.

    >>> batch = clause_tokens_many(["Fish, frozen", "Ёлка (с/м)", ""])
    >>> batch.words, batch.bounds.tolist(), batch.clauses.tolist(), batch.ids.tolist()
    (['fish', 'frozen', 'елка', 'свежемороженый'], [0, 2, 4, 4], [0, 1, 0, 1], [0, 1, 2, 3])
    """
    # A text one pass would not read exactly (see clause_tokens) goes in already read: its words
    # and clause marks pass through the batch's passes unchanged. Abbreviations are written out
    # text by text: few texts have one, and no abbreviation holds or touches a clause mark.
    joined = f" {_TEXT_MARK} ".join(
        expand_abbreviations(text.lower().replace("ё", "е"))
        if "Σ" not in text and unicodedata.is_normalized("NFKC", text)
        else " ".join(_marked_words(*clause_tokens(text))) for text in texts)
    tokens = _WORD.findall(CLAUSE.sub(f" {_CLAUSE_MARK} ", joined))
    index = {_TEXT_MARK: 0, _CLAUSE_MARK: 1}
    for token in dict.fromkeys(tokens):
        index.setdefault(token, len(index))
    ids = np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    is_word = ids > 1
    text_at = np.cumsum(ids == 0)
    clause_at = np.cumsum(ids == 1)
    # Clauses count from each text's start: the count of clause marks before its text mark.
    first_clause = np.concatenate([[0], clause_at[ids == 0]])
    words_at = np.flatnonzero(is_word)
    counts = np.bincount(text_at[words_at], minlength=len(texts))
    return Words(
        words=[tokens[i] for i in words_at.tolist()],
        ids=ids[words_at] - 2,
        distinct=list(index)[2:],
        bounds=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        clauses=clause_at[words_at] - first_clause[text_at[words_at]])


def _marked_words(words: list[str], clauses: list[int]):
    clause = 0
    for word, k in zip(words, clauses):
        while clause < k:
            yield _CLAUSE_MARK
            clause += 1
        yield word


def detect_language(words: list[str], hint: str | None = None) -> str:
    """``hint`` when given; else ``kk`` for Kazakh letters, ``ru`` for other Cyrillic, else ``id``
    or ``en`` by function words.

    >>> detect_language(["мясо", "говядины"]), detect_language(["сиыр", "еті"]), detect_language(["kursi"])
    ('ru', 'kk', 'en')
    """
    if hint:
        return hint
    joined = " ".join(words)  # one regex pass over the text instead of one per word
    if _KAZAKH.search(joined):
        return "kk"
    if _CYRILLIC.search(joined):
        return "ru"
    id_votes = sum(map(STOPWORDS["id"].__contains__, words))
    en_votes = sum(map(STOPWORDS["en"].__contains__, words))
    return "id" if id_votes > en_votes else "en"


def detect_languages(batch: Words) -> list[str]:
    """``detect_language`` of each text of a batch, looking at each distinct word once.

    >>> detect_languages(clause_tokens_many(["мясо говядины", "сиыр еті", "kursi dan meja", ""]))
    ['ru', 'kk', 'id', 'en']
    """
    text_at = batch.text_of()

    def per_text(flags: list) -> list[float]:
        return np.bincount(text_at, weights=np.array(flags, dtype=np.float64)[batch.ids], minlength=len(batch)).tolist()

    kazakh = per_text([_KAZAKH.search(w) is not None for w in batch.distinct])
    cyrillic = per_text([_CYRILLIC.search(w) is not None for w in batch.distinct])
    id_votes = per_text([w in STOPWORDS["id"] for w in batch.distinct])
    en_votes = per_text([w in STOPWORDS["en"] for w in batch.distinct])
    return ["kk" if kk else "ru" if ru else "id" if i > e else "en"
            for kk, ru, i, e in zip(kazakh, cyrillic, id_votes, en_votes)]


@lru_cache(maxsize=500_000)
def stem(word: str, language: str) -> str:
    """Key of one normalised word: the Russian lemma of a word the dictionary knows, the Indonesian
    root (Sastrawi, where Snowball strips "ke-" off "kemeja"), the Kazakh stem; else the Snowball
    stem. Cyrillic words in a text of another language read as Russian.

    >>> stem("тикового", "en"), stem("pakaian", "id"), stem("tables", "en"), stem("kemeja", "id")
    ('тиковый', 'pakai', 'tabl', 'kemeja')
    """
    if _CYRILLIC.search(word) and language != "kk":
        language = "ru"
    if word.isdigit():
        return word
    root = lemma(word, language)
    if root != word or language in ("id", "kk") or known(word, language):
        return root  # a dictionary form: Snowball would merge сыр/сырьё and сидень/сиденье
    return _stemmer(language).stemWord(word) if language in _ALGORITHMS else word


def _stemmer(language: str) -> Stemmer.Stemmer:
    """This thread's stemmer for ``language``: two threads sharing one would mix their words."""
    stemmers = getattr(_per_thread, "stemmers", None)
    if stemmers is None:
        # The per-word cache in front of stem() already keeps the results; no second cache inside.
        stemmers = _per_thread.stemmers = {lang: Stemmer.Stemmer(name, maxCacheSize=0)
                                           for lang, name in _ALGORITHMS.items()}
    return stemmers[language]


@lru_cache(maxsize=500_000)
def transliterate(text: str) -> str:
    """Cyrillic (Russian, Kazakh) to plain Latin letters, for fuzzy comparison with Latin text.

    >>> transliterate("мебель")
    'mebel'
    """
    return text.translate(_TRANSLIT)


@lru_cache(maxsize=500_000)
def phonetic(word: str) -> str:
    """A rough spelling key so cognates across en/id/ru share character n-grams.

    >>> phonetic("synthetic"), phonetic(transliterate("синтетический")), phonetic("sintetis")
    ('sintetik', 'sintetikeski', 'sintetis')
    """
    word = transliterate(word)
    for pattern, replacement in _PHONETIC:
        word = pattern.sub(replacement, word)
    return word
