"""Typed protocols shared between methods and backends (as spacy-llm's ty.py).

Methods receive objects satisfying these protocols from registered functions; they never
load models themselves, so a user can register their own aligner or backend.
"""

from __future__ import annotations

from typing import List, Protocol, Sequence, Tuple, runtime_checkable

#: Word alignment of one sentence pair: sorted (source index, target index) pairs.
Alignment = List[Tuple[int, int]]
#: One sentence pair as words: (source words, target words).
WordPair = Tuple[Sequence[str], Sequence[str]]


@runtime_checkable
class Aligner(Protocol):
    """Aligns the words of sentence pairs; indices are positions in the given word lists."""

    def align(self, pairs: Sequence[WordPair]) -> List[Alignment]: ...
