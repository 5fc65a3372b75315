"""Deterministic stand-in encoders for aligner tests: no model, known similarities.

``OneHotEncoder`` gives every distinct word string its own basis vector (scaled), so two
words have cosine 1 when they are the same string and 0 otherwise, and a sentence aligned
with itself gives the diagonal with every extraction method. It implements the same
``embed`` / ``embed_pieces`` interface as :class:`spacy_xlt.backends.encoder.HFEncoder`,
including its handling of words without pieces (whitespace-only or empty: zero vectors).
"""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from ..backends.encoder import Pieces


class OneHotEncoder:
    """Word vectors ``scale * e_k`` with one index ``k`` per distinct word string.

    Indices are given in order of first appearance and kept across calls; more than
    ``dim`` distinct words raise ``ValueError``. ``pieces_per_word`` splits each word into
    that many pieces sharing its vector, to exercise piece-to-word mapping.
    """

    def __init__(self, dim: int = 512, scale: float = 10.0, pieces_per_word: int = 1) -> None:
        self.dim = dim
        self.scale = float(scale)
        self.pieces_per_word = pieces_per_word
        self.index: Dict[str, int] = {}
        self.calls: List[int] = []  #: number of sentences per call, to check batching

    def _vector(self, word: str) -> np.ndarray:
        out = np.zeros(self.dim, dtype=np.float32)
        if not word.strip():
            return out  # no pieces, as a real tokenizer does for whitespace
        if word not in self.index:
            if len(self.index) >= self.dim:
                raise ValueError(
                    f"OneHotEncoder(dim={self.dim}) has no room for more distinct words"
                )
            self.index[word] = len(self.index)
        out[self.index[word]] = self.scale
        return out

    def embed(self, word_lists: Sequence[Sequence[str]]) -> List[np.ndarray]:
        self.calls.append(len(word_lists))
        return [
            np.stack([self._vector(w) for w in words])
            if len(words)
            else np.zeros((0, self.dim), np.float32)
            for words in word_lists
        ]

    def embed_pieces(self, word_lists: Sequence[Sequence[str]]) -> List[Pieces]:
        self.calls.append(len(word_lists))
        out = []
        for words in word_lists:
            keep = [i for i, w in enumerate(words) if w.strip()]
            ids = np.repeat(np.asarray(keep, dtype=np.int64), self.pieces_per_word)
            vecs = (
                np.stack([self._vector(words[i]) for i in ids])
                if len(ids)
                else np.zeros((0, self.dim), np.float32)
            )
            out.append(Pieces(vecs, ids))
        return out
