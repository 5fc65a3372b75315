"""A deterministic automaton compiled into arrays, stepped and masked for many rows at once.

States are numbered ``0 .. n_states - 1``; a state's transitions are the items
``ptr[s] .. ptr[s + 1] - 1`` of ``ids`` (the id written, distinct within a state) and ``nxt``
(the state it leads to): compressed sparse rows. The ids a state allows are its transitions'
ids; an id it does not allow leads to no state. A whole automaton, built up front in a few
numpy operations (:meth:`spacy_xlt.decoding.automaton.TaggingAutomaton.table`), so that
decoding never builds a state: the constrained processor steps and masks every row of a
batch with a handful of array operations per decoding step, whatever the length.

:func:`concat` joins the tables of a batch's inputs into one, with a last state, the dead
one, that allows the processor's fallback ids and leads back to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np


@dataclass
class StateTable:
    """A deterministic automaton as compressed sparse rows of transitions (int64 arrays)."""

    ptr: np.ndarray  # n_states + 1: where each state's transitions begin
    ids: np.ndarray  # n_transitions: the id of each transition (increasing within a state)
    nxt: np.ndarray  # n_transitions: the state it leads to
    start: int

    def __post_init__(self):
        self._keys: Optional[np.ndarray] = None

    @property
    def n_states(self) -> int:
        return len(self.ptr) - 1

    @classmethod
    def from_edges(cls, n_states: int, src, ids, dst, start: int) -> StateTable:
        """The table of edges ``src --ids--> dst`` (numpy arrays, any order)."""
        src = np.asarray(src, dtype=np.int64)
        keys = (src << 32) + np.asarray(ids, dtype=np.int64)  # by state, then by id
        order = np.argsort(keys)
        ptr = np.zeros(n_states + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n_states), out=ptr[1:])
        keys = keys[order]
        table = cls(ptr, keys & 0xFFFFFFFF, np.asarray(dst, dtype=np.int64)[order], int(start))
        table._keys = keys
        return table

    # --- one row at a time (a single sequence; the tests) ----------------------------------

    def allowed(self, state: int) -> List[int]:
        """The ids ``state`` allows, in the table's order."""
        return self.ids[self.ptr[state] : self.ptr[state + 1]].tolist()

    def step(self, state: int, token: int) -> int:
        """The state after ``token`` in ``state`` (-1 if it does not allow it)."""
        lo, hi = int(self.ptr[state]), int(self.ptr[state + 1])
        hits = np.flatnonzero(self.ids[lo:hi] == token)
        return int(self.nxt[lo + hits[0]]) if len(hits) else -1

    # --- every row at once -------------------------------------------------------------

    def step_rows(self, states: np.ndarray, tokens: np.ndarray, missing: int) -> np.ndarray:
        """Every row's next state (``missing`` where the row's state does not allow its
        token): a binary search of (state, id) among the transitions, sorted so."""
        if self._keys is None:  # each transition's (state, id) as one integer (ids < 2**32)
            src = np.repeat(np.arange(self.n_states, dtype=np.int64), np.diff(self.ptr))
            self._keys = (src << 32) + self.ids
        if not len(self._keys):
            return np.full(len(states), missing, dtype=np.int64)
        query = (states << 32) + tokens
        at = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
        return np.where(self._keys[at] == query, self.nxt[at], missing)

    def expand(self, states: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Every transition of every row's state: (its row, its index into ``ids``)."""
        lo = self.ptr[states]
        counts = self.ptr[states + 1] - lo
        rows = np.repeat(np.arange(len(states)), counts)
        # a transition's index: its state's first one, plus its rank among the row's
        shift = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        return rows, np.arange(len(rows)) + shift

    def padded(self, starts: Sequence[int] = (), max_waste: float = 4.0) -> Optional[PaddedTable]:
        """The table with every state's transitions in one row of a fixed width (the most
        any state has), for array operations on many rows at once; None where that would
        take more than ``max_waste`` times the items of the transitions themselves (states
        of many transitions beside many of one: many labels). ``starts``: the states rows
        start in besides ``start`` (only those and the states a transition leads to can be
        a row's)."""
        counts = np.diff(self.ptr)
        width = max(1, int(counts.max(initial=0)))
        if width * self.n_states > max_waste * max(len(self.ids), 1):
            return None
        # column j: the state's transition j, or (past its last) its first one again: an id
        # allowed twice is masked and matched as once
        col = np.minimum(np.arange(width), np.maximum(counts, 1)[:, None] - 1)
        index = np.minimum(self.ptr[:-1, None] + col, max(len(self.ids) - 1, 0))
        empty = counts == 0
        ids = np.where(empty[:, None], -1, self.ids[index] if len(self.ids) else -1)
        nxt = np.where(empty[:, None], -1, self.nxt[index] if len(self.ids) else -1)
        reached = np.zeros(self.n_states, dtype=bool)
        reached[self.nxt] = True
        reached[np.asarray(list(starts) + [self.start], dtype=np.int64)] = True
        return PaddedTable(ids, nxt, bool((empty & reached).any()))


@dataclass
class PaddedTable:
    """A :class:`StateTable` as two ``n_states x width`` arrays: each state's allowed ids
    and the states they lead to, a row each (repeated items past a state's last
    transition; -1 in the rows of states that allow nothing; ``has_empty``: whether a row
    can be in such a state)."""

    ids: np.ndarray
    nxt: np.ndarray
    has_empty: bool

    def step_rows(self, states: np.ndarray, tokens: np.ndarray, missing: int) -> np.ndarray:
        """Every row's next state (``missing`` where the row's state does not allow its
        token)."""
        hit = self.ids[states] == tokens[:, None]
        col = hit.argmax(1)
        found = hit[np.arange(len(states)), col]
        return np.where(found, self.nxt[states, col], missing)


def concat(tables: Sequence[StateTable], dead_ids: Sequence[int]) -> Tuple[StateTable, np.ndarray]:
    """One table of several: each one's states shifted past the ones before, then a dead
    state that allows ``dead_ids`` (each leading back to it). Returns the table (the dead
    state is its last state, and its ``start``) and each input's start state in it."""
    state_offsets = np.cumsum([0] + [t.n_states for t in tables])
    edge_offsets = np.cumsum([0] + [len(t.ids) for t in tables])
    dead = int(state_offsets[-1])
    dead_ids = np.unique(np.asarray(list(dead_ids), dtype=np.int64))
    ptr = np.concatenate(
        [t.ptr[:-1] + off for t, off in zip(tables, edge_offsets)]
        + [np.array([edge_offsets[-1], edge_offsets[-1] + len(dead_ids)], dtype=np.int64)]
    )
    ids = np.concatenate([t.ids for t in tables] + [dead_ids])
    nxt = np.concatenate(
        [t.nxt + off for t, off in zip(tables, state_offsets)]
        + [np.full(len(dead_ids), dead, dtype=np.int64)]
    )
    starts = np.array([t.start + off for t, off in zip(tables, state_offsets)], dtype=np.int64)
    return StateTable(ptr, ids, nxt, dead), starts
