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
which (its beam indices stay inside ``_beam_search``). So the processor tells rows apart by
a few key columns: a row's key is its ids at those columns, and the columns are chosen so
that rows of an input with different prefixes have different keys (the columns where two
of them first differ, pairwise: at most ``num_beams - 1`` per input, the branchings of the
trie of its rows), plus the last column. The state of each distinct prefix is kept under
its key. At the next call a row's ids at the same columns are its parent's key (its prefix
but its new id is its parent's prefix); its state is the parent's state stepped by the new
id, and its own key is that key with the new id appended (the new column joins the key
columns). So the key columns grow by one a step; every ``_PRUNE_SLACK`` steps they are
pruned back to the columns that tell the present rows apart. Each call reads from the
device one ``index_select`` of at most ``inputs * (num_beams - 1) + _PRUNE_SLACK + 1``
columns (the index is a tensor over a Python array the processor updates in place: no
index built per call) and does two dictionary lookups and one automaton step per row,
whatever the length; the masks are the reference's, since each row's state is that of
its own prefix.

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
        # method "incremental": the key columns of the rows of the previous call (sorted)
        # and, per input, the state of each of its rows (of each distinct prefix) by its key
        self._length = -1  # the number of columns of the previous call
        self._cols: List[int] = []
        self._tables: List[Dict[Tuple[int, ...], int]] = []
        #: key columns that may pile up between two prunings (see the module docstring)
        self.prune_slack = _PRUNE_SLACK
        self._prune_at = _PRUNE_SLACK
        # the columns read at the previous call, as the index of index_select (the tensor
        # shares the array's memory: appending a column writes one item)
        self._index = array("q")
        self._index_tensor = None
        self._index_len = -1
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
        offset = 0
        for b, automaton in enumerate(self.automata):
            known = getattr(automaton, "allowed_so_far", _NO_CACHE)
            for state in states[b * k : (b + 1) * k]:
                allowed = known.get(state)
                if allowed is None:
                    allowed = automaton.allowed_ids(state)
                if not allowed:
                    self.dead_rows += state == DEAD
                    allowed = self.fallback_ids
                flat += [offset + t for t in allowed]
                offset += width
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
            self._cols = []
            self._tables = [{(): a.start} for a in self.automata]
            return [a.start for a in self.automata for _ in range(k)]
        if length != self._length + 1:
            return self._resync(input_ids)
        new = self._length  # the column of the ids appended since the previous call
        cols = self._cols
        cols.append(new)
        vals = self._read(input_ids, cols)
        states: List[int] = []
        tables: List[Dict[Tuple[int, ...], int]] = []
        append = states.append
        for b, automaton in enumerate(self.automata):
            parents = self._tables[b]
            known = getattr(automaton, "transitions", _NO_CACHE)  # (state, id) -> state
            table: Dict[Tuple[int, ...], int] = {}
            for key in map(tuple, vals[b * k : (b + 1) * k]):
                state = table.get(key)
                if state is None:  # the first row of this prefix: step its parent's state
                    parent = parents.get(key[:-1])
                    if parent is None:  # no row of the previous call has this row's prefix
                        cols.pop()
                        return self._resync(input_ids)
                    state = known.get((parent, key[-1]))
                    if state is None:
                        state = automaton.step(parent, key[-1])
                    table[key] = state
                append(state)
            tables.append(table)
        self._length = length
        self._tables = tables
        if len(cols) >= self._prune_at:
            self._prune()
        return states

    def _read(self, input_ids, cols: List[int]) -> List[List[int]]:
        """Every row's ids at ``cols`` (sorted), as lists."""
        n = len(cols)
        if cols[-1] - cols[0] + 1 == n:  # a contiguous range: a view, no index
            return input_ids[:, cols[0] : cols[-1] + 1].tolist()
        if self._index_len != n - 1 or n > len(self._index):  # not the columns kept last time
            self._set_index(cols)
        else:  # the same columns and one more: one item of the shared buffer
            self._index[n - 1] = cols[-1]
            self._index_len = n
        index = self._index_tensor[:n]
        if index.device != input_ids.device:
            index = index.to(input_ids.device)
        return input_ids.index_select(1, index).tolist()

    def _set_index(self, cols: List[int]) -> None:
        """Make the index buffer hold ``cols`` (with room for the columns to come)."""
        import torch

        n = len(cols)
        if n > len(self._index):  # a new buffer (the tensor shares the array's memory)
            self._index = array("q", [0]) * (2 * n + 16)
            self._index_tensor = torch.frombuffer(self._index, dtype=torch.long)
        for j, c in enumerate(cols):
            self._index[j] = c
        self._index_len = n

    def _prune(self) -> None:
        """Keep only the key columns that tell the present rows' prefixes apart (and the
        last one, so each key holds its row's last id)."""
        cols = self._cols
        keep = {len(cols) - 1}
        for table in self._tables:
            distinct = sorted(table)
            keep.update(_first_difference(x, y) for x, y in zip(distinct, distinct[1:]))
        kept = sorted(keep)
        key = _getter(kept)
        self._tables = [{key(ids): state for ids, state in table.items()} for table in self._tables]
        self._cols = [cols[j] for j in kept]
        self._set_index(self._cols)
        self._prune_at = len(kept) + self.prune_slack

    def _resync(self, input_ids) -> List[int]:
        """Every row's state from its whole generated prefix (and the keys from there)."""
        self.resyncs += 1
        k = self.num_beams
        start = self.start
        length = int(input_ids.shape[1])
        generated = [tuple(ids) for ids in input_ids[:, start:].tolist()]
        states: List[int] = []
        of: List[Dict[Tuple[int, ...], int]] = []
        keep = set()
        for b, automaton in enumerate(self.automata):
            block = generated[b * k : (b + 1) * k]
            distinct = sorted(set(block))
            of.append({ids: automaton.run(ids) for ids in distinct})
            states.extend(of[-1][ids] for ids in block)
            keep.update(_first_difference(x, y) for x, y in zip(distinct, distinct[1:]))
        if length > start:  # the last column, so each key holds its row's last id
            keep.add(length - 1 - start)
        kept = sorted(keep)
        key = _getter(kept)
        self._tables = [{key(ids): state for ids, state in table.items()} for table in of]
        self._cols = [start + j for j in kept]
        self._index_len = -1
        self._prune_at = len(kept) + self.prune_slack
        self._length = length
        return states


#: key columns that may pile up between two prunings (a key is a row's ids at its columns)
_PRUNE_SLACK = 8

_NO_CACHE: Dict[Tuple[int, int], int] = {}


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
    """The first index at which two different sequences of one length differ (a binary
    search over their prefixes, compared in C)."""
    lo, hi = 0, len(x) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if x[: mid + 1] == y[: mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return lo
