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
trie of its rows), plus the last column. The processor keeps every row's key and state. At
the next call a row's ids at the same columns, but the new one, are its parent's key (its
prefix but its new id is its parent's prefix); its state is the parent's state stepped by
the new id, and its own key is that key with the new id appended (the new column joins the
key columns). So the key columns grow by one a step; every ``_PRUNE_SLACK`` steps they are
pruned back to the columns that tell the present rows apart. Each call reads from the
device one ``index_select`` of at most ``inputs * (num_beams - 1) + _PRUNE_SLACK + 1``
columns (on a CPU, one numpy indexing of the tensor's memory; the index is a tensor and
a numpy array over a Python array the processor updates in place: no index built per
call), finds every row's parent with one numpy comparison of the keys of each input's rows
with those of the previous call (``num_beams ** 2`` pairs per input, in C: no key built or
hashed in Python) and does one automaton step per row, whatever the length; the masks are
the reference's, since each row's state is that of its own prefix.

Where every automaton of the batch has a table (:meth:`TaggingAutomaton.table
<spacy_xlt.decoding.automaton.TaggingAutomaton.table>`: the whole automaton built up front
as arrays; an automaton whose states are sets of positions has none), the tables are
joined into one, with a dead state last that allows the fallback ids, and every row's state
is a number in it: a step is a few array operations over all rows (each row's parent's
allowed ids, compared with its new id, give its next state; the next states' allowed ids
give the mask), with no state built and no Python loop over rows. The table is kept in rows
of one width (the most ids a state allows) where that costs at most a few times its
transitions, and as sparse rows otherwise (many labels: one state allows every opening
tag, most states one id). Otherwise each row is stepped by its automaton, which builds the
states it reaches on the way.

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
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from .automaton import DEAD, TaggingAutomaton
from .table import PaddedTable, StateTable, concat

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
    with ``DEAD`` for the state that allows nothing, and optionally ``table()``, a
    :class:`~spacy_xlt.decoding.table.StateTable` of it or None); ``num_beams`` as given to
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
        # method "incremental": the key columns of the rows of the previous call (sorted),
        # every row's ids there (a numpy array) and every row's state
        self._length = -1  # the number of columns of the previous call
        self._cols: List[int] = []
        self._keys = None
        self._states: List[int] = []
        # per row: its automaton; per input: its first row
        k = self.num_beams
        self._row_automata = [a for a in self.automata for _ in range(k)]
        self._width = -1  # the scores' width, and each row's first item of the flat scores
        self._starts = None
        self._offsets = _first_rows(len(self.automata), k)
        #: key columns that may pile up between two prunings (see the module docstring)
        self.prune_slack = _PRUNE_SLACK
        self._prune_at = _PRUNE_SLACK
        # the columns read at the previous call, as the index of index_select or of numpy
        # (the tensor and the numpy array share the array's memory: appending a column
        # writes one item)
        self._index = array("q")
        self._index_tensor = None
        self._index_array = None
        self._index_len = -1
        #: rows seen in a state that allowed nothing (only -inf beams get there)
        self.dead_rows = 0
        #: decoding steps run (calls)
        self.steps = 0
        #: calls at which the incremental method recomputed every state from the prefixes
        self.resyncs = 0
        # the automata as one table, where each one has one (see the module docstring):
        # every row's state is then a state of it, stepped and masked for all rows at once
        self._table: Optional[StateTable] = None
        self._padded: Optional[PaddedTable] = None  # the table in rows of one width, if small
        if method == "incremental" and self.automata:
            tables = [a.table() if hasattr(a, "table") else None for a in self.automata]
            if all(t is not None for t in tables):
                import numpy as np

                self._table, starts = concat(tables, self.fallback_ids)
                self._padded = self._table.padded(starts)
                self._table_starts = np.repeat(starts, k)
                self._dead = self._table.n_states - 1

    @property
    def _stepper(self):
        """What steps the table's rows: its padded rows where there are some, else its
        sparse rows (the one choice the mask makes too)."""
        return self._table if self._padded is None else self._padded

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

    def _mask(self, states, scores):
        import numpy as np
        import torch

        width = scores.shape[1]
        if self._width != width:
            self._width = width
            self._starts = np.arange(len(states), dtype=np.int64) * width
        if self._table is not None:
            self.dead_rows += int(np.count_nonzero(states == self._dead))
        if self._padded is not None:  # one state of the table per row: a row of ids each
            allowed = self._padded.ids[states]
            index = self._starts[:, None] + allowed
            index = index[allowed >= 0] if self._padded.has_empty else index.ravel()
        elif self._table is not None:  # the rows' transitions, from the sparse table
            rows, index = self._table.expand(states)
            index = self._starts[rows] + self._table.ids[index]
        else:
            flat: List[int] = []  # every row's ids left open, row after row
            lengths: List[int] = []
            for state, automaton in zip(states, self._row_automata):
                allowed = automaton.allowed_ids(state)
                if not allowed:
                    self.dead_rows += state == DEAD
                    allowed = self.fallback_ids
                flat.extend(allowed)
                lengths.append(len(allowed))
            index = np.array(flat, dtype=np.int64)  # row * width + id
            index += np.repeat(self._starts, lengths)
        index = torch.from_numpy(index)
        if scores.device.type != "cpu":
            index = index.to(scores.device)
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
        import numpy as np

        length = int(input_ids.shape[1])
        k = self.num_beams
        if self.start is None:  # the first step: nothing generated yet
            self.start = self._length = length
            self._cols = []
            self._keys = np.zeros((input_ids.shape[0], 0), dtype=np.int64)
            if self._table is not None:
                self._states = self._table_starts.copy()
                return self._states
            self._states = [a.start for a in self.automata for _ in range(k)]
            return list(self._states)
        if length != self._length + 1:
            return self._resync(input_ids)
        cols = self._cols + [self._length]  # the ids appended since the previous call last
        vals = self._read(input_ids, cols)
        n, blocks = len(cols), len(self.automata)
        # each row's parent: a row of the previous call, of its input, whose key is this
        # row's key without the new column (rows of one key share a prefix, so any one)
        same = (vals[:, :-1].reshape(blocks, k, 1, n - 1) == self._keys.reshape(blocks, 1, k, n - 1)).all(3)
        if not same.any(2).all():  # a row that extends no row of the previous call
            return self._resync(input_ids)
        parents = (same.argmax(2) + self._offsets).ravel()
        prev = self._states
        if self._table is not None:
            states = self._stepper.step_rows(prev[parents], vals[:, -1], self._dead)
        else:
            states = [
                automaton.step(prev[parent], token)
                for parent, token, automaton in zip(
                    parents.tolist(), vals[:, -1].tolist(), self._row_automata
                )
            ]
        self._length = length
        self._states = states
        if n >= self._prune_at:
            self._prune(cols, vals)
        else:
            self._cols, self._keys = cols, vals
        return states

    def _read(self, input_ids, cols: List[int]):
        """Every row's ids at ``cols`` (sorted), as a numpy array of the processor's own
        (on a CPU numpy reads the tensor's memory: no torch operation)."""
        n = len(cols)
        on_cpu = input_ids.device.type == "cpu"
        if cols[-1] - cols[0] + 1 == n:  # a contiguous range: a view, no index
            if on_cpu:
                return _numpy(input_ids)[:, cols[0] : cols[-1] + 1].copy()
            return _numpy(input_ids[:, cols[0] : cols[-1] + 1], copy=True)
        if self._index_len != n - 1 or n > len(self._index):  # not the columns kept last time
            self._set_index(cols)
        else:  # the same columns and one more: one item of the shared buffer
            self._index[n - 1] = cols[-1]
            self._index_len = n
        if on_cpu:
            return _numpy(input_ids)[:, self._index_array[:n]]
        index = self._index_tensor[:n]
        if index.device != input_ids.device:
            index = index.to(input_ids.device)
        return _numpy(input_ids.index_select(1, index))

    def _set_index(self, cols: List[int]) -> None:
        """Make the index buffer hold ``cols`` (with room for the columns to come)."""
        import numpy as np
        import torch

        n = len(cols)
        if n > len(self._index):  # a new buffer (the tensor and numpy array share its memory)
            self._index = array("q", [0]) * (2 * n + 16)
            self._index_tensor = torch.frombuffer(self._index, dtype=torch.long)
            self._index_array = np.frombuffer(self._index, dtype=np.int64)
        for j, c in enumerate(cols):
            self._index[j] = c
        self._index_len = n

    def _prune(self, cols: List[int], vals) -> None:
        """Keep only the key columns that tell the present rows' prefixes apart: where two
        rows of an input first differ (the branchings of the trie of its rows), and the
        last one, so each key holds its row's last id."""
        k, n = self.num_beams, len(cols)
        blocks = vals.reshape(len(self.automata), k, 1, n) != vals.reshape(len(self.automata), 1, k, n)
        first = blocks.argmax(3)[blocks.any(3)]  # per pair of different rows of an input
        kept = sorted(set(first.tolist()) | {n - 1})
        self._cols = [cols[j] for j in kept]
        self._keys = vals[:, kept]
        self._set_index(self._cols)
        self._prune_at = len(kept) + self.prune_slack

    def _resync(self, input_ids) -> List[int]:
        """Every row's state from its whole generated prefix (and the keys from there)."""
        self.resyncs += 1
        k = self.num_beams
        start = self.start
        length = int(input_ids.shape[1])
        generated = _numpy(input_ids[:, start:], copy=True)
        if self._table is not None:  # every row at once, one generated column at a time
            states = self._table_starts.copy()
            for j in range(generated.shape[1]):
                states = self._stepper.step_rows(states, generated[:, j], self._dead)
        else:
            states = []
            for b, automaton in enumerate(self.automata):
                of: Dict[Tuple[int, ...], int] = {}
                for ids in map(tuple, generated[b * k : (b + 1) * k].tolist()):
                    state = of.get(ids)
                    if state is None:
                        state = of[ids] = automaton.run(ids)
                    states.append(state)
        self._states = states
        self._length = length
        self._index_len = -1
        if length > start:
            self._prune(list(range(start, length)), generated)
        else:
            self._cols, self._keys = [], generated
            self._prune_at = self.prune_slack
        return states


#: key columns that may pile up between two prunings (a key is a row's ids at its columns)
_PRUNE_SLACK = 8


def _numpy(tensor, copy: bool = False):
    """A CPU int64 numpy array of an integer tensor (its own memory if ``copy``)."""
    import numpy as np

    out = tensor.cpu().numpy() if tensor.device.type != "cpu" else tensor.numpy()
    return np.array(out, dtype=np.int64) if copy or out.dtype != np.int64 else out


def _first_rows(n: int, k: int):
    """The first row of each of ``n`` inputs of ``k`` rows, as a column (numpy)."""
    import numpy as np

    return (np.arange(n, dtype=np.int64) * k)[:, None]
