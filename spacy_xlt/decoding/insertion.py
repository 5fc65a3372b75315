"""The marker-insertion automaton of CODEC over token ids: every accepted sequence is a fixed
translation with exactly one marker pair inserted.

The translation (the *template*) is a fixed sequence of token ids, written after the target
language's prefix ids (NLLB's ``hau_Latn``). The model may only copy the template's next id,
insert the opening marker (once, at an allowed boundary), insert the closing marker (once,
after the opening one and at least one target token later), and end once every template id
is copied and both markers are written; no prefix leads to a dead end. Boundaries are template positions (a marker goes
before template id ``c``; ``c == len(template)``: after the last id) that fall on target
tokens' boundaries, each with the token boundary it stands for, so the marked part is always
a run of whole target tokens (never a piece of a word, never empty).

Markers are id sequences (``▁[`` in NLLB, or several pieces in other vocabularies) and may
share ids with the template (a ``▁`` piece, a bracket in the text), so the automaton is run
as an NFA whose state is the set of positions the ids so far are consistent with, interned
to small integers (the :class:`~spacy_xlt.decoding.automaton.InternedStates` of
:class:`~spacy_xlt.decoding.automaton.TaggingAutomaton` too): it has the
interface :class:`~spacy_xlt.decoding.processor.ConstrainedLogitsProcessor` uses (``start``,
``allowed_ids(state)`` (a tuple) and ``allowed(state)`` (a list), ``step(state, id)``,
``run(ids)``, ``DEAD``), so the standard ``generate()`` decodes under it, greedy or beam
search. Positions are plain tuples of strings and ints (the garbage collector does not track
them).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..errors import Errors, XLTError
from .automaton import DEAD, InternedStates

# Position kinds: outside (no marker yet), in the opening marker, inside the span, in the
# closing marker, done (both markers written), final (the end written).
_OUT, _OPEN, _IN, _CLOSE, _DONE, _FINAL = "o", "om", "i", "cm", "d", "f"

# A position: (kind, template ids copied, marker ids written, opening boundary, closing boundary)
Position = Tuple[str, int, int, int, int]


class Insertion(NamedTuple):
    """One marker pair: the target tokens ``start .. end - 1`` are marked."""

    start: int
    end: int


class InsertionAutomaton(InternedStates):
    """The automaton of one fixed translation and one span to mark.

    ``template_ids``: the translation's content ids (no special ids); ``boundaries``: template
    position -> target token boundary, the places a marker may go (position
    ``len(template_ids)`` is the end; boundaries must increase with the positions);
    ``open_ids``/``close_ids``: the markers; ``end_ids``: ids allowed after the template (the
    first ends; the others, such as padding, may follow it); ``prefix_ids``: ids written
    before the template (the target language token); ``opens``: the token boundaries the
    opening marker may take (None: every boundary).
    """

    def __init__(
        self,
        template_ids: Sequence[int],
        boundaries: Mapping[int, int],
        open_ids: Sequence[int],
        close_ids: Sequence[int],
        end_ids: Sequence[int],
        *,
        prefix_ids: Sequence[int] = (),
        opens: Optional[Iterable[int]] = None,
        record: str = "the sentence",
    ):
        self.record = record
        self.prefix = tuple(int(t) for t in prefix_ids)
        self.template = tuple(int(t) for t in template_ids)
        self.ids = self.prefix + self.template
        self.open_ids = tuple(int(t) for t in open_ids)
        self.close_ids = tuple(int(t) for t in close_ids)
        self.end_ids = tuple(dict.fromkeys(int(t) for t in end_ids))
        if not self.open_ids or not self.close_ids:
            raise XLTError(Errors.E480.format(record=record, what="a marker encodes to no token ids"))
        if not self.end_ids:
            raise XLTError(Errors.E480.format(record=record, what="no end id"))
        m = len(self.template)
        items = sorted((int(c), int(b)) for c, b in boundaries.items())
        if any(c < 0 or c > m for c, _ in items):
            raise XLTError(Errors.E480.format(record=record, what=f"a boundary outside the {m} template ids"))
        if any(b2 <= b1 for (_, b1), (_, b2) in zip(items, items[1:])):
            raise XLTError(Errors.E480.format(record=record, what="boundaries that do not increase"))
        #: template position (of ``ids``, prefix included) -> token boundary
        self._at: Dict[int, int] = {len(self.prefix) + c: b for c, b in items}
        #: token boundary -> template position (of ``template``)
        self.position_of: Dict[int, int] = {b: c for c, b in items}
        last = items[-1][1] if items else None
        allowed = None if opens is None else {int(b) for b in opens}
        self._opens = {
            i for i, b in self._at.items() if last is not None and b < last and (allowed is None or b in allowed)
        }
        if not self._opens:
            raise XLTError(Errors.E480.format(record=record, what="no boundary where the opening marker may go, with a later one for the closing marker"))
        # copying past the last place a marker may still go would lead nowhere
        self._last_open = max(self._opens)
        self._last_close = max(self._at)
        self._init_states()  # a state: the frozenset of its positions
        self.start = self._state_of(frozenset([(_OUT, 0, 0, -1, -1)]))

    # --- structure ---------------------------------------------------------------------

    @property
    def boundaries(self) -> List[int]:
        """The token boundaries a marker may go to, in order."""
        return sorted(self.position_of)

    def insertions(self) -> List[Insertion]:
        """Every marker pair the automaton accepts, in order."""
        bounds = self.boundaries
        opens = sorted(self._at[i] for i in self._opens)
        return [Insertion(a, b) for a in opens for b in bounds if b > a]

    def _moves(self, pos: Position) -> List[Tuple[int, Position]]:
        """(id, next position) of every id that may follow ``pos``."""
        kind, i, k, a, b = pos
        n = len(self.ids)
        out: List[Tuple[int, Position]] = []
        if kind == _FINAL:
            return [(t, pos) for t in self.end_ids]
        if kind == _OPEN:
            return [(self.open_ids[k], self._after_open(i, k + 1))]
        if kind == _CLOSE:
            return [(self.close_ids[k], self._after_close(i, k + 1, a))]
        if i < n and (kind == _DONE or i < (self._last_open if kind == _OUT else self._last_close)):
            out.append((self.ids[i], (kind, i + 1, 0, a, b)))
        if kind == _OUT and i in self._opens:
            out.append((self.open_ids[0], self._after_open(i, 1)))
        elif kind == _IN and i in self._at and self._at[i] > a:
            out.append((self.close_ids[0], self._after_close(i, 1, a)))
        elif kind == _DONE and i == n:
            out.append((self.end_ids[0], (_FINAL, i, 0, a, b)))
        return out

    def _after_open(self, i: int, k: int) -> Position:
        if k < len(self.open_ids):
            return (_OPEN, i, k, -1, -1)
        return (_IN, i, 0, self._at[i], -1)

    def _after_close(self, i: int, k: int, a: int) -> Position:
        if k < len(self.close_ids):
            return (_CLOSE, i, k, a, -1)
        return (_DONE, i, 0, a, self._at[i])

    def _allowed_of(self, positions: FrozenSet[Position]) -> Tuple[int, ...]:
        return tuple(dict.fromkeys(t for pos in positions for t, _ in self._moves(pos)))

    def _advance(self, state: int, token: int) -> int:
        moves = (move for pos in self._sets[state] for move in self._moves(pos))
        return self._state_of(frozenset(p for t, p in moves if t == token))

    # --- running (the interface of ConstrainedLogitsProcessor) -------------------------

    def is_final(self, state: int) -> bool:
        """Whether the ids so far are complete (the end id written)."""
        return state != DEAD and any(p[0] == _FINAL for p in self._sets[state])

    # --- reading and writing ------------------------------------------------------------

    def parse(self, ids: Sequence[int]) -> Optional[Insertion]:
        """The marker pair of complete ids (trailing end/padding ids allowed), or None if
        the ids are not a complete marked copy of the template (where the ids are
        ambiguous, the earliest pair)."""
        state = self.run(ids)
        if not self.is_final(state):
            return None
        finals = sorted((p[3], p[4]) for p in self._sets[state] if p[0] == _FINAL)
        return Insertion(*finals[0])

    def target(self, insertion: Insertion) -> List[int]:
        """The ids of the template with ``insertion``'s markers, the prefix and the end id:
        what the automaton accepts for that pair (forced decoding scores these)."""
        a, b = self.position_of.get(insertion.start), self.position_of.get(insertion.end)
        if a is None or b is None or not insertion.start < insertion.end or len(self.prefix) + a not in self._opens:
            raise XLTError(Errors.E481.format(insertion=tuple(insertion), record=self.record, options=self.boundaries))
        t = self.template
        return [
            *self.prefix,
            *t[:a],
            *self.open_ids,
            *t[a:b],
            *self.close_ids,
            *t[b:],
            self.end_ids[0],
        ]
