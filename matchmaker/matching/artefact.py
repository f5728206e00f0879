"""A fitted index as a file, and the fingerprint stored with every match it scores.

The file is one uncompressed ``.npz``: the catalogue's sparse rows and per-row arrays as numpy
arrays, the feature names as one string per block, the catalogue profiles (records, concepts, HS
guesses: what stage two reads) as one pickle, and a small JSON manifest. Loading maps the arrays
back without reading any text again. A file written by another engine version, for the other side
of the market or with another concept vocabulary is refused: refit instead.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # pragma: no cover
    from matchmaker.matching.concepts import ConceptVocabulary

__all__ = ["ENGINE_VERSION", "Fingerprint", "IncompatibleIndex", "save_index", "load_index", "STORED"]

# Bump whenever reading, scoring or the file layout change: stored matches then show which engine
# scored them, and old files are refused rather than misread.
ENGINE_VERSION = "2026.12.2"
_FORMAT = 1
_CHUNK = 256      # profiles per pickle: a loaded index unpickles only the chunks its queries touch
STORED = object()  # a profile still in the file


class StoredProfiles:
    """The catalogue profiles of a loaded index, unpickled a chunk at a time on first use: loading
    100,000 profiles at once would take longer than reading everything else in the file."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self._blob, self._offsets = blob, offsets
        self._chunks: dict[int, list] = {}

    def profile(self, row: int):
        chunk = self._chunks.get(row // _CHUNK)
        if chunk is None:
            start, stop = self._offsets[row // _CHUNK], self._offsets[row // _CHUNK + 1]
            chunk = self._chunks[row // _CHUNK] = pickle.loads(self._blob[start:stop].tobytes())
        return chunk[row % _CHUNK]


def _pickled_chunks(profiles: list) -> tuple[np.ndarray, np.ndarray]:
    pieces = [pickle.dumps(profiles[i:i + _CHUNK], protocol=pickle.HIGHEST_PROTOCOL)
              for i in range(0, len(profiles), _CHUNK)]
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    return np.frombuffer(b"".join(pieces), dtype=np.uint8), offsets


class IncompatibleIndex(ValueError):
    """The file was written by another engine version, for the other side, or with another vocabulary."""


@dataclass(frozen=True)
class Fingerprint:
    """What scored a match: the engine version, the component weights, the concept vocabulary (a
    hash of its content) and when the index was fitted. ``str(fingerprint)`` is a short stable key
    to store on each match; ``to_dict()`` the parts, for people."""

    engine: str
    weights: tuple[tuple[str, float], ...]
    vocabulary: str
    fitted_at: str

    @property
    def short(self) -> str:
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()
        return f"{self.engine}-{digest[:12]}"

    def __str__(self) -> str:
        return self.short

    def to_dict(self) -> dict:
        return {"engine": self.engine, "weights": dict(self.weights), "vocabulary": self.vocabulary,
                "fitted_at": self.fitted_at}


def vocabulary_digest(vocabulary: "ConceptVocabulary") -> str:
    """A hash of a concept vocabulary's content (names, sectors, HS codes, terms, broader concepts)."""
    content = [(c.name, c.sector, list(c.hs), {lang: list(t) for lang, t in sorted(c.terms.items()) if t},
                list(c.broader)) for c in sorted(vocabulary.concepts.values(), key=lambda c: c.name)]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _text(names: list[str]) -> np.ndarray:
    joined = "\n".join(names)
    return np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)


def _names(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def _put(arrays: dict, name: str, matrix: sp.csr_matrix, *, counts: bool = False) -> None:
    """A CSR matrix as arrays; term-frequency rows (1 + ln count) are kept as their counts, a byte each."""
    data = matrix.data
    if counts:
        data = np.rint(np.exp(data.astype(np.float64) - 1.0))
        if data.size and data.max() > 255:
            raise ValueError("a word more than 255 times in one text")  # not a listing; refuse to truncate
        data = data.astype(np.uint8)
    arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"] = data, matrix.indices, matrix.indptr
    arrays[f"{name}.shape"] = np.array(matrix.shape, dtype=np.int64)


def _get(arrays, name: str, *, counts: bool = False) -> sp.csr_matrix:
    data = arrays[f"{name}.data"]
    if counts:  # exactly as text.py computes them
        data = (1.0 + np.log(data.astype(np.float32))).astype(np.float32)
    return sp.csr_matrix((data, arrays[f"{name}.indices"], arrays[f"{name}.indptr"]),
                         shape=tuple(arrays[f"{name}.shape"]))


def save_index(index, path) -> None:
    """Write a compacted index (one segment, no removed rows) to ``path``."""
    from matchmaker.matching.text import _BLOCKS

    segment = index._segments[0] if index._segments else None
    manifest = {"format": _FORMAT, "engine": ENGINE_VERSION, "kind": index._kind,
                "weights": index.weights, "candidates": index.candidates,
                "vocabulary": index.vocabulary.digest, "fitted_at": index._fitted_at,
                "records": len(index), "documents": {n: index.text.blocks[n].documents for n in _BLOCKS}}
    arrays: dict[str, np.ndarray] = {"manifest": _text([json.dumps(manifest)])}
    for name in _BLOCKS:
        block = index.text.blocks[name]
        if any("\n" in n for n in block.names):
            raise ValueError("a feature name holds a line break")  # normalised text never does
        arrays[f"{name}.names"] = _text(block.names)
        arrays[f"{name}.df"] = block.df
        if segment is not None:
            _put(arrays, f"{name}.tf", segment.text.tf[name], counts=True)
    if segment is not None:
        _put(arrays, "concepts", segment.concepts)
    for name in ("_heading", "_chapter", "_hs_confidence", "_certificates", "_country"):
        arrays[name] = getattr(index, name)
    arrays["profiles"], arrays["profiles.offsets"] = _pickled_chunks(
        [index._profile(i) for i in range(len(index._ids))])
    if any("\n" in record_id for record_id in index._ids):
        raise ValueError("a record id holds a line break")
    arrays["ids"] = _text(index._ids)
    path = Path(path)
    with open(path, "wb") as handle:  # np.savez would add ".npz" to a name without it
        np.savez(handle, **arrays)


def read_manifest(path) -> dict:
    with np.load(Path(path), allow_pickle=False) as arrays:
        return json.loads(arrays["manifest"].tobytes().decode("utf-8"))


def load_index(cls, path, *, vocabulary: "ConceptVocabulary | None" = None):
    """An index of class ``cls`` read from ``path`` (see ``_Index.load``)."""
    from matchmaker.matching.concepts import default_vocabulary
    from matchmaker.matching.index import _Segment
    from matchmaker.matching.text import _BLOCKS, Rows, TextModel

    with np.load(Path(path), allow_pickle=False) as arrays:
        manifest = json.loads(arrays["manifest"].tobytes().decode("utf-8"))
        if manifest.get("engine") != ENGINE_VERSION or manifest.get("format") != _FORMAT:
            raise IncompatibleIndex(
                f"{path} was written by engine version {manifest.get('engine')!r} (file format "
                f"{manifest.get('format')!r}); this is engine {ENGINE_VERSION!r}: fit the index again")
        if manifest["kind"] != cls._kind:
            raise IncompatibleIndex(f"{path} holds an index of {manifest['kind']}, not of {cls._kind}")
        vocabulary = vocabulary if vocabulary is not None else default_vocabulary()
        if manifest["vocabulary"] != vocabulary.digest:
            raise IncompatibleIndex(f"{path} was fitted with another concept vocabulary "
                                    f"({manifest['vocabulary']}, this one is {vocabulary.digest}): fit again")
        index = cls.__new__(cls)
        index.vocabulary = vocabulary
        index.weights = {k: float(v) for k, v in manifest["weights"].items()}
        index.candidates = int(manifest["candidates"])
        index._fitted_at = manifest["fitted_at"]
        index._concept_column = {name: i for i, name in enumerate(sorted(vocabulary.concepts))}
        index.text = TextModel()
        for name in _BLOCKS:
            block = index.text.blocks[name]
            block.names = _names(arrays[f"{name}.names"])
            block.columns = {feature: i for i, feature in enumerate(block.names)}
            block.df = arrays[f"{name}.df"].astype(np.int64)
            block.documents = int(manifest["documents"][name])
        for name in ("_heading", "_chapter", "_hs_confidence", "_certificates", "_country"):
            setattr(index, name, arrays[name])
        index._ids = _names(arrays["ids"])
        index._store = StoredProfiles(arrays["profiles"], arrays["profiles.offsets"])
        index._profiles = [STORED] * len(index._ids)
        index._stored_row = np.arange(len(index._ids), dtype=np.int64)
        index._position = {record_id: i for i, record_id in enumerate(index._ids)}
        index._alive = np.ones(len(index._ids), dtype=bool)
        index._segments = []
        if "concepts.data" in arrays.files:
            rows = Rows(_get(arrays, "words.tf", counts=True), _get(arrays, "grams.tf", counts=True))
            index._segments.append(_Segment(0, rows, _get(arrays, "concepts")))
    return index
