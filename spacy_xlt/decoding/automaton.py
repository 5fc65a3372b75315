"""The tagging automaton over token ids: every accepted sequence is a valid tagging of one input.

The model writes the input words in order, with ``<Name>`` ... ``</Name>`` around spans. At a
word boundary it may copy the next word, open a label (outside a span, before a word), close
the open label (inside a span that already holds a word), or end (outside, after the last
word). Every word and tag is a fixed sequence of token ids (the canonical segmentation: each
item encoded on its own and concatenated, see ``spacy_xlt.decoding.tagging``); multi-piece
words are copied piece by piece and multi-piece tags walked id by id.

Items may share leading ids (a word and a tag both starting with SentencePiece's lone ``▁``;
two tags starting with ``<``), so the automaton is run as an NFA whose state is the set of
positions the ids so far are consistent with; sets are interned to small integers and their
allowed ids and transitions cached, so each decoding step is a dictionary lookup.

For decoding many rows at once, :meth:`TaggingAutomaton.table` builds the whole automaton
up front as arrays (:class:`~spacy_xlt.decoding.table.StateTable`), where no word starts
with a tag's first id and no opening tag's ids begin another's (the usual case: tags added
to the vocabulary are ids of their own); the lazy automaton below serves the rest, parsing,
and the reference.

Positions are numbered as they are reached, each with the id it expects and the positions
after it; a state is the sorted tuple of its positions' numbers. Boundaries and positions
are plain tuples of ints, strings, booleans and None, and so are the states and their
allowed ids: Python's garbage collector stops tracking such tuples, so the thousands of
states an automaton builds while decoding a long sentence add no tracked objects (tracked
objects that pile up make the collector's full passes over the whole process, which cost
far more than the decoding steps around them, more frequent).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import (
    Dict,
    FrozenSet,
    Hashable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np

from ..errors import Errors, XLTError
from ..labels import TokenSpan
from .table import StateTable

#: The state of no position: the ids so far are not a prefix of any tagging.
DEAD = -1

_WORD, _OPEN, _CLOSE, _EOS, _FINAL = "w", "o", "c", "e", "f"


#: Between items: (``i`` words copied, the ``label`` open (or None), whether the open span
#: holds a word yet). A plain tuple (see the module docstring).
Boundary = Tuple[int, Optional[str], bool]
_I, _LABEL, _HAS_WORD = 0, 1, 2
_ORIGIN: Boundary = (0, None, False)


# A position: (boundary before the item, item kind, item label (opens), ids consumed).
Position = Tuple[Optional[Boundary], str, Optional[str], int]
_FINAL_POS: Position = (None, _FINAL, None, 0)


@dataclass
class Parse:
    """Spans read from generated ids, and whether the ids formed a complete tagging."""

    spans: List[TokenSpan]
    complete: bool


class InternedStates(ABC):
    """States as sets of NFA positions interned to small integers, each with its allowed ids
    (computed when the state is made: a decoder asks for them next), and the steps taken so
    far: what the tagging and the marker-insertion automata share. A subclass calls
    ``_init_states()`` first, and gives ``start``, ``_allowed_of(key)`` and ``_advance``."""

    start: int

    def _init_states(self) -> None:
        self._sets: List[Hashable] = []  # by state: its key (a hashable set of positions)
        self._index: Dict[Hashable, int] = {}
        self._allowed: List[Tuple[int, ...]] = []  # by state
        self._next: Dict[Tuple[int, int], int] = {}  # (state, id) -> state, stepped so far

    def _state_of(self, key: Hashable) -> int:
        """The state of a key (``DEAD`` for an empty one)."""
        if not key:
            return DEAD
        idx = self._index.get(key)
        if idx is None:
            idx = len(self._sets)
            self._sets.append(key)
            self._index[key] = idx
            self._allowed.append(self._allowed_of(key))
        return idx

    @abstractmethod
    def _allowed_of(self, key) -> Tuple[int, ...]:
        """The ids that may follow the positions of ``key`` (a new state's)."""

    @abstractmethod
    def _advance(self, state: int, token: int) -> int:
        """The state after writing ``token`` in ``state`` (not stepped so before)."""

    def step(self, state: int, token: int) -> int:
        """The state after writing ``token`` in ``state``."""
        if state == DEAD:
            return DEAD
        key = (state, token)
        nxt = self._next.get(key)
        if nxt is None:
            nxt = self._next[key] = self._advance(state, token)
        return nxt

    def allowed(self, state: int) -> List[int]:
        """The ids that may come next (none when DEAD)."""
        return list(self.allowed_ids(state))

    def allowed_ids(self, state: int) -> Tuple[int, ...]:
        """``allowed(state)`` as the tuple the automaton keeps (no copy)."""
        return () if state == DEAD else self._allowed[state]

    def run(self, ids: Sequence[int]) -> int:
        state = self.start
        for t in ids:
            state = self.step(state, int(t))
        return state

    @property
    def n_states(self) -> int:
        """States reached so far (they are built lazily)."""
        return len(self._sets)


class TaggingAutomaton(InternedStates):
    """The automaton of one input: its words' ids, the labels' tag ids, the end id.

    ``end_ids``: ids allowed after the end (the first is the one that ends; the others, such
    as padding, may follow it). ``start`` is the initial state; ``allowed(state)`` the ids
    the model may write next; ``step(state, id)`` the next state (``DEAD`` if not allowed).
    """

    def __init__(
        self,
        word_ids: Sequence[Sequence[int]],
        open_ids: Mapping[str, Sequence[int]],
        close_ids: Mapping[str, Sequence[int]],
        end_ids: Sequence[int],
        record: str = "the sentence",
    ):
        self.record = record
        self.word_ids: List[Tuple[int, ...]] = [tuple(int(t) for t in w) for w in word_ids]
        self.labels: List[str] = list(open_ids)
        self.open_ids = {lab: tuple(int(t) for t in open_ids[lab]) for lab in self.labels}
        self.close_ids = {lab: tuple(int(t) for t in close_ids[lab]) for lab in self.labels}
        self.end_ids = tuple(dict.fromkeys(int(t) for t in end_ids))
        for i, ids in enumerate(self.word_ids):
            if not ids:
                raise XLTError(Errors.E240.format(record=record, what=f"word {i}"))
        for lab in self.labels:
            if not self.open_ids[lab] or not self.close_ids.get(lab):
                raise XLTError(Errors.E240.format(record=record, what=f"a tag of label {lab!r}"))
        if not self.end_ids:
            raise XLTError(Errors.E240.format(record=record, what="the end"))
        self.n = len(self.word_ids)
        # the items after a boundary outside a span, with their ids (before / after the words)
        self._open_items = [(_OPEN, lab, self.open_ids[lab]) for lab in self.labels]
        self._eos_items = [(_EOS, None, self.end_ids[:1])]
        # positions numbered as they are reached (the items that may follow a boundary, each
        # as consecutive numbers, one per id): each one's id (-1: the final position, 0) and
        # the positions after it, a sorted tuple (those after an item's last id: when first
        # needed)
        self._expect: List[int] = [-1]
        self._succ: List[Optional[Tuple[int, ...]]] = [None]
        self._last_of: Dict[int, Tuple[Boundary, str, Optional[str]]] = {}
        self._entries: Dict[Boundary, Tuple[int, ...]] = {}
        self._final = 0
        self._table: Union[StateTable, None, bool] = False  # not built yet
        # a state: the sorted numbers of its positions
        self._init_states()
        self.start = self._state_of(self._entry(_ORIGIN))

    # --- structure ---------------------------------------------------------------------

    def _items(self, b: Boundary) -> List[Tuple[str, Optional[str]]]:
        """The items that may follow boundary ``b``."""
        items: List[Tuple[str, Optional[str]]] = []
        i, open_label, has_word = b
        if i < self.n:
            items.append((_WORD, None))
        if open_label is None:
            if i < self.n:
                items.extend((_OPEN, lab) for lab in self.labels)
            else:
                items.append((_EOS, None))
        elif has_word:
            items.append((_CLOSE, None))
        return items

    def _ids(self, b: Optional[Boundary], kind: str, label: Optional[str]) -> Tuple[int, ...]:
        if kind == _WORD:
            return self.word_ids[b[_I]]
        if kind == _OPEN:
            return self.open_ids[label]
        if kind == _CLOSE:
            return self.close_ids[b[_LABEL]]
        return self.end_ids[:1]

    @staticmethod
    def _after(b: Boundary, kind: str, label: Optional[str]) -> Optional[Boundary]:
        i, open_label, _ = b
        if kind == _WORD:
            return (i + 1, open_label, open_label is not None)
        if kind == _OPEN:
            return (i, label, False)
        if kind == _CLOSE:
            return (i, None, False)
        return None  # the end

    def _expand(self, b: Optional[Boundary]) -> FrozenSet[Position]:
        if b is None:
            return frozenset([_FINAL_POS])
        return frozenset((b, kind, label, 0) for kind, label in self._items(b))

    def _entry(self, b: Optional[Boundary]) -> Tuple[int, ...]:
        """The first positions of the items that may follow boundary ``b`` (numbered then)."""
        if b is None:
            return (self._final,)
        out = self._entries.get(b)
        if out is None:  # the items of _items(b), with their ids, inlined (a hot path)
            i, open_label, has_word = b
            items: List[Tuple[str, Optional[str], Tuple[int, ...]]] = []
            if i < self.n:
                items.append((_WORD, None, self.word_ids[i]))
            if open_label is None:
                items.extend(self._open_items if i < self.n else self._eos_items)
            elif has_word:
                items.append((_CLOSE, None, self.close_ids[open_label]))
            expect, succ, last_of = self._expect, self._succ, self._last_of
            firsts = []
            for kind, label, ids in items:
                first = len(expect)
                firsts.append(first)
                expect.extend(ids)
                if len(ids) > 1:
                    succ.extend([(p,) for p in range(first + 1, first + len(ids))])
                succ.append(None)
                last_of[len(expect) - 1] = (b, kind, label)
            out = self._entries[b] = tuple(firsts)
        return out

    def _successors(self, p: int) -> Tuple[int, ...]:
        """The positions after the last id of an item."""
        b, kind, label = self._last_of[p]
        out = self._succ[p] = self._entry(self._after(b, kind, label))
        return out

    def _allowed_of(self, positions: Tuple[int, ...]) -> Tuple[int, ...]:
        """The ids that may follow a sorted tuple of positions (the end ids in the final
        one)."""
        if len(positions) == 1 and self._expect[positions[0]] >= 0:  # most states: one id
            return (self._expect[positions[0]],)
        ids: List[int] = []
        for p in positions:
            e = self._expect[p]
            if e < 0:
                ids.extend(self.end_ids)
            else:
                ids.append(e)
        return tuple(dict.fromkeys(ids))

    def _advance(self, state: int, token: int) -> int:
        expect, succ = self._expect, self._succ
        current = self._sets[state]
        if len(current) == 1:  # most states: the successors are the next state's key
            p = current[0]
            e = expect[p]
            if e == token:
                after = succ[p]
                return self._state_of(self._successors(p) if after is None else after)
            return state if e < 0 and token in self.end_ids else DEAD
        positions = set()
        for p in current:
            e = expect[p]
            if e == token:
                after = succ[p]
                positions.update(self._successors(p) if after is None else after)
            elif e < 0 and token in self.end_ids:  # the final position stays
                positions.add(p)
        return self._state_of(tuple(sorted(positions)))

    # --- the whole automaton as arrays --------------------------------------------------

    def table(self) -> Optional[StateTable]:
        """The automaton as a :class:`~spacy_xlt.decoding.table.StateTable` of its own
        numbering (``start`` and the end state among them), built once in a few array
        operations; None where a word starts with a tag's first id, or one opening tag's
        ids begin another's: there, states are sets of positions that only the lazy
        automaton builds.

        Every other state is one of: the entry of a boundary (its items' first ids: ``C =
        1 + 2 * labels`` boundaries after each number of words, outside a span, in a span
        before its first word, in a span after a word), an id inside a word (one id, one
        transition), a node inside the trie of the tags (its children's ids), or the end
        state. Tags of one kind (the opening tags, each closing tag) form a trie, the same
        after every boundary of a kind, so their states are that trie's inner nodes numbered
        again after each number of words."""
        if self._table is False:
            self._table = self._build_table()
        return self._table

    def _build_table(self) -> Optional[StateTable]:
        n, n_labels = self.n, len(self.labels)
        C = 1 + 2 * n_labels  # boundary kinds: outside, label j just opened, label j with a word
        opens = _trie([(self.open_ids[lab], j) for j, lab in enumerate(self.labels)])
        closes = [_trie([(self.close_ids[lab], j)]) for j, lab in enumerate(self.labels)]
        if opens is None:
            return None
        firsts = np.array([w[0] for w in self.word_ids], dtype=np.int64)
        tag_firsts = np.concatenate([opens.roots] + [close.roots for close in closes])
        if np.isin(firsts, tag_firsts).any():
            return None
        # the states: entries, ids inside words (each boundary kind's copy), tags' inner
        # trie nodes (after each number of words), the end
        lengths = np.array([len(w) for w in self.word_ids], dtype=np.int64)
        inner_words = int((lengths - 1).sum())
        close_offsets = np.cumsum([opens.n_nodes] + [c.n_nodes for c in closes])
        per_i = int(close_offsets[-1])  # tag trie nodes after each number of words
        words_base = (n + 1) * C
        tags_base = words_base + C * inner_words
        final = tags_base + (n + 1) * per_i
        edges = []
        # words: piece k of word i at boundary kind c
        if n:
            pieces = np.fromiter((t for w in self.word_ids for t in w), dtype=np.int64)
            word = np.repeat(np.arange(n), lengths)
            k = np.arange(len(pieces)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            inner = (np.cumsum(lengths - 1) - (lengths - 1))[word] + k  # of piece k + 1
            after = np.array([0] + [1 + n_labels + j for j in range(n_labels)] * 2)  # kind after a word
            c = np.arange(C)[:, None]
            src = np.where(k == 0, word * C + c, words_base + c * inner_words + inner - 1)
            last = k == lengths[word] - 1
            dst = np.where(last, (word + 1) * C + after[c], words_base + c * inner_words + inner)
            edges.append((src, np.broadcast_to(pieces, src.shape), dst))
        # opening tags after i < n words (outside a span): to "label j just opened"
        if len(opens.ids) and n:
            i = np.arange(n)[:, None]
            src = np.where(opens.src < 0, i * C, tags_base + i * per_i + opens.src)
            dst = np.where(opens.leaf, i * C + 1 + opens.dst, tags_base + i * per_i + opens.dst)
            edges.append((src, np.broadcast_to(opens.ids, src.shape), dst))
        # closing tag j after i words, in a span that holds a word: to outside
        i = np.arange(n + 1)[:, None]
        for j, (close, off) in enumerate(zip(closes, close_offsets[:-1])):
            src = np.where(close.src < 0, i * C + 1 + n_labels + j, tags_base + i * per_i + off + close.src)
            dst = np.where(close.leaf, i * C, tags_base + i * per_i + off + close.dst)
            edges.append((src, np.broadcast_to(close.ids, src.shape), dst))
        # the end after every word (outside a span), then the end ids in the end state
        edges.append(([n * C], self.end_ids[:1], [final]))
        edges.append(([final] * len(self.end_ids), self.end_ids, [final] * len(self.end_ids)))
        src, ids, dst = (np.concatenate([np.ravel(e[part]) for e in edges]) for part in range(3))
        return StateTable.from_edges(final + 1, src, ids, dst, start=0)

    # --- running -----------------------------------------------------------------------

    def is_final(self, state: int) -> bool:
        """Whether the ids so far are a complete tagging (the end id written)."""
        return state != DEAD and self._final in self._sets[state]

    # --- reading and writing taggings ---------------------------------------------------

    def target(self, spans: Sequence[TokenSpan]) -> List[int]:
        """The canonical ids of a tagging: words in order, tags around spans, the end id."""
        opens = {s.start: s.label for s in spans}
        closes = {s.end - 1: s.label for s in spans}
        out: List[int] = []
        for i, ids in enumerate(self.word_ids):
            if i in opens:
                out.extend(self.open_ids[opens[i]])
            out.extend(ids)
            if i in closes:
                out.extend(self.close_ids[closes[i]])
        out.append(self.end_ids[0])
        return out

    def parse(self, ids: Sequence[int], strict: bool = True) -> Parse:
        """The spans of generated ids (trailing end/padding ids allowed after the end).

        ``strict``: ids the automaton rejects raise XLTE241. Otherwise reading stops at the
        first rejected id, and ids that end before the tagging does (``max_new_tokens``
        reached) give the spans closed so far plus the open span if it holds a word
        (``complete`` is False then).
        """
        # position -> (closed spans, start of the open span); the first path wins
        paths: Dict[Position, Tuple[Tuple[TokenSpan, ...], int]] = {
            p: ((), 0) for p in self._expand(_ORIGIN)
        }
        for pos_index, token in enumerate(ids):
            token = int(token)
            new: Dict[Position, Tuple[Tuple[TokenSpan, ...], int]] = {}
            for pos, (spans, open_start) in paths.items():
                for nxt, hist in self._advance_path(pos, token, spans, open_start):
                    new.setdefault(nxt, hist)
            if not new:
                if strict:
                    raise XLTError(
                        Errors.E241.format(
                            ids=list(ids)[:50], token=token, pos=pos_index, record=self.record
                        )
                    )
                break
            paths = new
        if _FINAL_POS in paths:
            return Parse(list(paths[_FINAL_POS][0]), True)
        if strict:
            raise XLTError(
                Errors.E241.format(
                    ids=list(ids)[:50], token="(the end)", pos=len(ids), record=self.record
                )
            )
        # incomplete: the path that copied most words
        (b, _, _, _), (spans, open_start) = max(
            paths.items(), key=lambda item: (item[0][0][_I], item[0][0][_HAS_WORD])
        )
        out = list(spans)
        i, open_label, has_word = b
        if open_label is not None and has_word:
            out.append(TokenSpan(open_start, i, open_label))
        return Parse(out, False)

    def _advance_path(self, pos: Position, token: int, spans, open_start):
        b, kind, label, k = pos
        if kind == _FINAL:
            if token in self.end_ids:
                yield _FINAL_POS, (spans, open_start)
            return
        ids = self._ids(b, kind, label)
        if ids[k] != token:
            return
        if k + 1 < len(ids):
            yield (b, kind, label, k + 1), (spans, open_start)
            return
        if kind == _OPEN:
            open_start = b[_I]
        elif kind == _CLOSE:
            spans = spans + (TokenSpan(open_start, b[_I], b[_LABEL]),)
        for nxt in self._expand(self._after(b, kind, label)):
            yield nxt, (spans, open_start)


class _Trie(NamedTuple):
    """Items (id sequences, none a prefix of another) as a trie: ``n_nodes`` inner nodes
    (the root apart) and its edges ``src --ids--> dst`` (numpy arrays): ``src`` an inner
    node or -1 (the root), ``dst`` an inner node, or the item's payload where ``leaf``."""

    n_nodes: int
    src: np.ndarray
    ids: np.ndarray
    dst: np.ndarray
    leaf: np.ndarray

    @property
    def roots(self) -> np.ndarray:
        """The ids of the root's edges (the items' first ids)."""
        return self.ids[self.src < 0]


def _trie(items: Sequence[Tuple[Sequence[int], int]]) -> Optional[_Trie]:
    """The trie of ``(ids, payload)`` items; None if one item's ids begin another's."""
    child: Dict[Tuple[int, int], Tuple[bool, int]] = {}  # (node, id) -> (leaf, node or payload)
    edges: List[Tuple[int, int, int, bool]] = []
    n_nodes = 0
    for ids, payload in items:
        node = -1
        for k, t in enumerate(ids):
            last = k == len(ids) - 1
            found = child.get((node, t))
            if found is not None:
                if last or found[0]:  # this item ends inside another, or runs past one
                    return None
                node = found[1]
                continue
            if last:
                child[node, t] = (True, payload)
                edges.append((node, t, payload, True))
            else:
                child[node, t] = (False, n_nodes)
                edges.append((node, t, n_nodes, False))
                node, n_nodes = n_nodes, n_nodes + 1
    src, ids_, dst, leaf = zip(*edges) if edges else ((), (), (), ())
    return _Trie(
        n_nodes,
        np.array(src, dtype=np.int64),
        np.array(ids_, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(leaf, dtype=bool),
    )
