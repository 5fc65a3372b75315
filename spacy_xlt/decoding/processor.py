"""Constrained decoding inside the standard ``generate()``: a ``LogitsProcessor``.

``generate`` calls the processor at every step with the ids so far of every row
(``batch_size * num_beams`` rows, batch-major) and the scores of the next id. The state of a
row is a function of its generated prefix, so states are kept in a dictionary keyed by
(input index, prefix): a row's state is its parent prefix's state stepped by its last id.
Beam reordering needs no bookkeeping (a reordered row's parent prefix is still in the
dictionary of the previous step), and nothing private of ``generate`` is used.

The generated part starts after the ids the first call sees (the decoder start id of an
encoder-decoder model; the padded prompt of a decoder-only model), so one processor serves
one ``generate`` call. Disallowed ids get ``-inf``; scores of allowed ids are kept as they
are (beam search passes log-softmax scores over the full vocabulary: no renormalisation).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from .automaton import DEAD, TaggingAutomaton

try:  # transformers is a dependency; guarded so that importing this module stays cheap
    from transformers import LogitsProcessor
except ImportError:  # pragma: no cover
    LogitsProcessor = object  # type: ignore


class ConstrainedLogitsProcessor(LogitsProcessor):
    """Masks every id the automaton of each row's input does not allow next.

    ``automata[b]`` belongs to input ``b`` of the batch; ``num_beams`` as given to
    ``generate``. ``fallback_ids``: ids left open for a row in a state that allows nothing
    (only a beam that beam search filled with a ``-inf`` candidate gets there; allowing the
    end and padding ids lets it finish, and its ``-inf`` score keeps it from winning).
    """

    def __init__(
        self,
        automata: Sequence[TaggingAutomaton],
        num_beams: int = 1,
        fallback_ids: Sequence[int] = (),
    ):
        self.automata = list(automata)
        self.num_beams = int(num_beams)
        self.fallback_ids = list(fallback_ids)
        self.start: Optional[int] = None
        self._prev: Dict[Tuple[int, Tuple[int, ...]], int] = {}
        #: rows seen in a state that allowed nothing (only -inf beams get there)
        self.dead_rows = 0
        #: decoding steps run (calls)
        self.steps = 0

    def _state(self, b: int, prefix: Tuple[int, ...]) -> int:
        state = self._prev.get((b, prefix[:-1])) if prefix else None
        automaton = self.automata[b]
        if state is None:  # not seen at the previous step: recompute from scratch
            return automaton.run(prefix)
        return automaton.step(state, prefix[-1])

    def __call__(self, input_ids, scores):
        import torch

        rows = input_ids.shape[0]
        if rows != len(self.automata) * self.num_beams:
            raise XLTError(
                Errors.E242.format(rows=rows, n=len(self.automata), num_beams=self.num_beams)
            )
        if self.start is None:
            self.start = input_ids.shape[1]
        self.steps += 1
        generated = input_ids[:, self.start :].tolist()
        current: Dict[Tuple[int, Tuple[int, ...]], int] = {}
        row_index: List[int] = []
        col_index: List[int] = []
        for r, ids in enumerate(generated):
            b = r // self.num_beams
            key = (b, tuple(ids))
            state = current.get(key)
            if state is None:
                state = current[key] = self._state(b, key[1])
            allowed = self.automata[b].allowed(state)
            if not allowed:
                self.dead_rows += state == DEAD
                allowed = self.fallback_ids
            row_index.extend([r] * len(allowed))
            col_index.extend(allowed)
        self._prev = current
        rows_t = torch.tensor(row_index, dtype=torch.long, device=scores.device)
        cols_t = torch.tensor(col_index, dtype=torch.long, device=scores.device)
        out = torch.full_like(scores, float("-inf"))
        out[rows_t, cols_t] = scores[rows_t, cols_t]
        return out
