"""Constrained decoding inside the standard ``generate()``: a ``LogitsProcessor``.

``generate`` calls the processor at every step with the ids so far of every row
(``batch_size * num_beams`` rows, batch-major) and the scores of the next id. The state of a
row is a function of its input and its generated prefix; disallowed ids get ``-inf``, scores
of allowed ids are kept as they are (beam search passes log-softmax scores over the full
vocabulary: no renormalisation). The generated part starts after the ids the first call sees
(the decoder start id of an encoder-decoder model; the padded prompt of a decoder-only
model), so one processor serves one ``generate`` call.

Two ways to keep the states, with the same masks (``method``):

``"incremental"`` (the default): a cost per step that does not grow with the length. Each
call's rows extend rows of the previous call by one id, but beam search reorders, drops and
duplicates rows between steps and does not tell a logits processor which row came from
which (its beam indices stay inside ``_beam_search``). So the processor tells the rows of
the previous call apart by as few columns as it takes: for each input, the columns at
which two of its rows first differ, pairwise (at most ``num_beams - 1`` of them: the
branchings of the trie of its rows). Rows with the same prefix have the same ids there;
rows with different prefixes differ at the column where they first do. So a row's ids at
those columns, with its last id, are a key of its prefix among the rows of the call, and
the state of each distinct prefix is kept under that key. A new row's parent is the row
whose key is the new row's ids at the same columns (the new row's prefix but its new id
is its parent's prefix); its state is the parent's state stepped by the new id. The
columns of the new rows follow from their parents': two new rows with different parents
first differ where the parents do (over the parents sorted by key, adjacent ones give all
such columns), two with one parent and different new ids at the new column. Each call
reads from the device only the ids at those columns (at most ``inputs * (num_beams - 1)``)
and at the last two, and does ``O(num_beams)`` lookups and automaton steps per input (and
sorts at most ``num_beams`` short keys), whatever the length; the masks are the
reference's, since each row's state is that of its own prefix.

This rests on one property of autoregressive decoding, not on generate's internals: every
row of a call is a row of the previous call with one id appended (greedy search, sampling
and beam search all call the processors so, once per step, with every row). The processor
checks what it can cheaply: that the call is one id longer than the one before, and that
each row's key (which holds its last-but-one id) is one of the previous call's. Where a
check fails (a processor called by hand, assisted decoding that rolls ids back) it
recomputes every row's state from its whole prefix, as the reference does, and carries
on incrementally from there (``resyncs`` counts these). A row that broke the property
while passing both checks (ids before its last one changed elsewhere than at the key's
columns) would get the state of the row it matches: generate does not make such rows.

``"prefix"``: the exact reference, cost per step linear in the length. Each row's whole
generated prefix is copied to Python; states are kept in a dictionary keyed by (input index,
prefix), a row's state being its parent prefix's state stepped by its last id.
"""

from __future__ import annotations

from array import array
from operator import itemgetter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from .automaton import DEAD, TaggingAutomaton

try:  # transformers is a dependency; guarded so that importing this module stays cheap
    from transformers import LogitsProcessor
except ImportError:  # pragma: no cover
    LogitsProcessor = object  # type: ignore

#: The ways to keep row states (see the module docstring).
METHODS = ("incremental", "prefix")


class ConstrainedLogitsProcessor(LogitsProcessor):
    """Masks every id the automaton of each row's input does not allow next.

    ``automata[b]`` belongs to input ``b`` of the batch (a :class:`TaggingAutomaton`, or
    anything with its ``start``, ``allowed_ids(state)``, ``step(state, id)`` and ``run(ids)``,
    with ``DEAD`` for the state that allows nothing); ``num_beams`` as given to
    ``generate``. ``fallback_ids``: ids left open for a row in a state that allows nothing
    (only a beam that beam search filled with a ``-inf`` candidate gets there; allowing the
    end and padding ids lets it finish, and its ``-inf`` score keeps it from winning).
    ``method``: ``"incremental"`` (flat cost per step) or ``"prefix"`` (the reference);
    both mask the same ids.
    """

    def __init__(
        self,
        automata: Sequence[TaggingAutomaton],
        num_beams: int = 1,
        fallback_ids: Sequence[int] = (),
        method: str = "incremental",
    ):
        if method not in METHODS:
            raise XLTError(Errors.E420.format(method=method, options=list(METHODS)))
        self.automata = list(automata)
        self.num_beams = int(num_beams)
        self.fallback_ids = list(fallback_ids)
        self.method = method
        self.start: Optional[int] = None
        # method "prefix": (input index, generated prefix) -> state, of the previous call
        self._prev: Dict[Tuple[int, Tuple[int, ...]], int] = {}
        # method "incremental", per input: the columns at which its rows of the previous call
        # first differ (pairwise), sorted; and the state of each of those rows (of each
        # distinct prefix) keyed by its ids at those columns and its last id
        self._length = -1  # the number of columns of the previous call
        self._sigcols: List[List[int]] = []
        self._tables: List[Dict[Tuple[int, ...], int]] = []
        #: rows seen in a state that allowed nothing (only -inf beams get there)
        self.dead_rows = 0
        #: decoding steps run (calls)
        self.steps = 0
        #: calls at which the incremental method recomputed every state from the prefixes
        self.resyncs = 0

    def __call__(self, input_ids, scores):
        rows = input_ids.shape[0]
        if rows != len(self.automata) * self.num_beams:
            raise XLTError(
                Errors.E242.format(rows=rows, n=len(self.automata), num_beams=self.num_beams)
            )
        self.steps += 1
        if self.method == "prefix":
            states = self._prefix_states(input_ids)
        else:
            states = self._incremental_states(input_ids)
        return self._mask(states, scores)

    # --- masking ------------------------------------------------------------------------

    def _mask(self, states: List[int], scores):
        width = scores.shape[1]
        flat: List[int] = []  # row * width + id, for every id left open
        k = self.num_beams
        automata = self.automata
        for r, state in enumerate(states):
            allowed = automata[r // k].allowed_ids(state)
            if not allowed:
                self.dead_rows += state == DEAD
                allowed = self.fallback_ids
            offset = r * width
            flat.extend([offset + t for t in allowed])
        index = _long_tensor(flat, scores.device)
        out = scores.new_full(scores.shape, float("-inf"))
        out.put_(index, scores.take(index))
        return out

    # --- method "prefix": the reference -------------------------------------------------

    def _state(self, b: int, prefix: Tuple[int, ...]) -> int:
        state = self._prev.get((b, prefix[:-1])) if prefix else None
        automaton = self.automata[b]
        if state is None:  # not seen at the previous step: recompute from scratch
            return automaton.run(prefix)
        return automaton.step(state, prefix[-1])

    def _prefix_states(self, input_ids) -> List[int]:
        if self.start is None:
            self.start = input_ids.shape[1]
        generated = input_ids[:, self.start :].tolist()
        current: Dict[Tuple[int, Tuple[int, ...]], int] = {}
        states: List[int] = []
        for r, ids in enumerate(generated):
            b = r // self.num_beams
            key = (b, tuple(ids))
            state = current.get(key)
            if state is None:
                state = current[key] = self._state(b, key[1])
            states.append(state)
        self._prev = current
        return states

    # --- method "incremental" -----------------------------------------------------------

    def _incremental_states(self, input_ids) -> List[int]:
        length = int(input_ids.shape[1])
        k = self.num_beams
        if self.start is None:  # the first step: nothing generated yet
            self.start = self._length = length
            self._sigcols = [[] for _ in self.automata]
            self._tables = [{(): a.start} for a in self.automata]
            return [a.start for a in self.automata for _ in range(k)]
        if length != self._length + 1:
            return self._resync(input_ids)
        new = self._length  # the column of the ids appended since the previous call
        before = new - 1 if new > self.start else -1  # the column of the parents' last ids
        wanted = set().union(*self._sigcols)
        wanted.add(new)
        if before >= 0:
            wanted.add(before)
        cols = sorted(wanted)
        if cols[-1] - cols[0] + 1 == len(cols):  # a contiguous range: a view, no index
            vals = input_ids[:, cols[0] : cols[-1] + 1].tolist()
        else:
            vals = input_ids.index_select(1, _long_tensor(cols, input_ids.device)).tolist()
        pos = {c: j for j, c in enumerate(cols)}
        j_new = pos[new]
        states: List[int] = []
        sigcols: List[List[int]] = []
        tables: List[Dict[Tuple[int, ...], int]] = []
        for b, automaton in enumerate(self.automata):
            block = vals[b * k : (b + 1) * k]
            old_cols = self._sigcols[b]
            table = self._tables[b]
            if before >= 0:  # the key of a parent: its ids at its input's columns, its last id
                key_cols = old_cols + [before]
                parents = list(map(_getter([pos[c] for c in key_cols]), block))
            else:  # every row extends the empty prefix
                key_cols = []
                parents = [()] * k
            ids = [v[j_new] for v in block]
            for parent, token in zip(parents, ids):
                state = table.get(parent)
                if state is None:  # no row of the previous call has this row's prefix
                    return self._resync(input_ids)
                states.append(automaton.step(state, token))
            # the columns of the new rows: where two of their distinct parents first differ
            # (adjacent ones in sorted order give them all), and the new column if one parent
            # got two different ids
            distinct = sorted(set(parents))
            new_cols = {key_cols[_first_difference(x, y)] for x, y in zip(distinct, distinct[1:])}
            if len(set(zip(parents, ids))) > len(distinct):
                new_cols.add(new)
            ordered = sorted(new_cols)
            keys = map(_getter([pos[c] for c in ordered] + [j_new]), block)
            sigcols.append(ordered)
            tables.append(dict(zip(keys, states[b * k : (b + 1) * k])))
        self._length = length
        self._sigcols, self._tables = sigcols, tables
        return states

    def _resync(self, input_ids) -> List[int]:
        """Every row's state from its whole generated prefix (and the keys from there)."""
        self.resyncs += 1
        k = self.num_beams
        start = self.start
        generated = [tuple(ids) for ids in input_ids[:, start:].tolist()]
        states: List[int] = []
        self._sigcols, self._tables = [], []
        for b, automaton in enumerate(self.automata):
            block = generated[b * k : (b + 1) * k]
            distinct = sorted(set(block))
            of = {ids: automaton.run(ids) for ids in distinct}
            states.extend(of[ids] for ids in block)
            if not distinct[0]:  # nothing generated yet
                self._sigcols.append([])
                self._tables.append({(): automaton.start})
                continue
            cols = sorted({_first_difference(x, y) for x, y in zip(distinct, distinct[1:])})
            key = _getter(cols + [len(distinct[0]) - 1])
            self._sigcols.append([start + c for c in cols])
            self._tables.append({key(ids): of[ids] for ids in distinct})
        self._length = int(input_ids.shape[1])
        return states


def _long_tensor(values: List[int], device):
    """A 1-D int64 tensor of ``values`` on ``device`` (through an array: far cheaper than
    ``torch.tensor`` of a list)."""
    import torch

    if not values:
        return torch.zeros(0, dtype=torch.long, device=device)
    return torch.frombuffer(array("q", values), dtype=torch.long).to(device)


def _getter(index: List[int]) -> Callable[[Sequence[int]], Tuple[int, ...]]:
    """The items of a list at ``index``, as a tuple."""
    if len(index) > 1:
        return itemgetter(*index)
    if index:
        i = index[0]
        return lambda v: (v[i],)
    return lambda v: ()


def _first_difference(x: Sequence[int], y: Sequence[int]) -> int:
    """The first index at which two different sequences of one length differ."""
    i = 0
    while x[i] == y[i]:
        i += 1
    return i
