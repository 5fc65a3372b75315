"""``xlt_text2text_tagger``: a text-to-text model (mT5/mT0/Flan-T5 or a decoder-only LLM) that
rewrites each sentence with inline tags, constrained so that its output is always a valid
tagging of the Doc's tokens.

The pipe is a thin adapter: the backend (``spacy_xlt.Text2TextModel.v1``) runs the model,
``spacy_xlt.decoding.tagging`` turns words into ids, builds one automaton per sentence and
reads spans back. ``update`` fine-tunes the model by teacher forcing on the canonical tagged
targets, with its own torch optimizer (spaCy's optimizer is not used), so ``spacy train``
trains it. The model, tokenizer and added tag tokens are saved inside the pipeline.
"""

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import ensure_path, minibatch

from ..backends.text2text import Text2TextModel
from ..decoding.tagging import DEFAULT_PROMPT, TagCodec, TagResult, tag_batch
from ..errors import Errors, XLTError
from ..labels import LabelMap
from ..pairs import doc_spans, set_doc_spans

#: Where unconstrained predictions leave the generated text and what the parser dropped.
OUTPUT_KEY = "xlt_text2text"
MIXED_PRECISION = ("no", "bf16", "fp16")
#: What to do with gold spans whose label the tagger does not have (CoNLL's MISC, MasakhaNER's
#: DATE when transferring PER/ORG/LOC): raise, or leave them out of training and scoring.
UNKNOWN_LABELS = ("error", "ignore")
OPTIMIZERS = ("adamw", "adafactor")
#: Version of the saved cfg file.
CFG_VERSION = 1

DEFAULT_CONFIG = {
    "model": {
        "@misc": "spacy_xlt.Text2TextModel.v1",
        "name": "bigscience/mt0-xl",
        "kind": "auto",
        "device": "cpu",
        "dtype": "float32",
        "revision": None,
        "max_input_length": 512,
    },
    "labels": [],
    "label_names": {},
    "unknown_labels": "error",
    "spans_key": None,
    "constrained": True,
    "num_beams": 4,
    "max_new_tokens": None,
    "batch_size": 8,
    "prompt_template": DEFAULT_PROMPT,
    "add_tag_tokens": True,
    "optimizer": "adamw",
    "learning_rate": 7e-5,
    "weight_decay": 0.0,
    "warmup_steps": 0,
    "decay_steps": 0,
    "grad_accumulation": 1,
    "max_grad_norm": 1.0,
    "mixed_precision": "no",
    "gradient_checkpointing": False,
    "scorer": {"@scorers": "spacy_xlt.span_scorer.v1"},
}


@Language.factory(
    "xlt_text2text_tagger",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0},
)
def make_text2text_tagger(
    nlp: Language,
    name: str,
    model: Text2TextModel,
    labels: List[str],
    label_names: Dict[str, str],
    unknown_labels: str,
    spans_key: Optional[str],
    constrained: bool,
    num_beams: int,
    max_new_tokens: Optional[int],
    batch_size: int,
    prompt_template: str,
    add_tag_tokens: bool,
    optimizer: str,
    learning_rate: float,
    weight_decay: float,
    warmup_steps: int,
    decay_steps: int,
    grad_accumulation: int,
    max_grad_norm: Optional[float],
    mixed_precision: str,
    gradient_checkpointing: bool,
    scorer: Optional[Callable],
) -> "Text2TextTagger":
    return Text2TextTagger(
        nlp.vocab,
        model,
        name=name,
        labels=labels,
        label_names=label_names,
        unknown_labels=unknown_labels,
        spans_key=spans_key,
        constrained=constrained,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        prompt_template=prompt_template,
        add_tag_tokens=add_tag_tokens,
        optimizer=optimizer,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        decay_steps=decay_steps,
        grad_accumulation=grad_accumulation,
        max_grad_norm=max_grad_norm,
        mixed_precision=mixed_precision,
        gradient_checkpointing=gradient_checkpointing,
        scorer=scorer,
    )


def _check(name: str, value: Any, ok: bool, options: str) -> None:
    if not ok:
        raise XLTError(Errors.E243.format(name=name, value=value, options=options))


def _is_int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


class Text2TextTagger(Pipe):
    """Writes the spans a text-to-text model tags to ``doc.ents`` or ``doc.spans[spans_key]``.

    ``constrained`` (default): every output is a tagging of the Doc's tokens (beam search
    with ``num_beams``). Otherwise the model writes freely and the lenient parser places
    what it can; what it dropped is counted in ``stats`` and kept in
    ``doc.user_data["xlt_text2text"]``.
    """

    def __init__(
        self,
        vocab,
        model: Text2TextModel,
        *,
        name: str = "xlt_text2text_tagger",
        labels: Sequence[str] = (),
        label_names: Optional[Dict[str, str]] = None,
        unknown_labels: str = "error",
        spans_key: Optional[str] = None,
        constrained: bool = True,
        num_beams: int = 4,
        max_new_tokens: Optional[int] = None,
        batch_size: int = 8,
        prompt_template: str = DEFAULT_PROMPT,
        add_tag_tokens: bool = True,
        optimizer: str = "adamw",
        learning_rate: float = 7e-5,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        decay_steps: int = 0,
        grad_accumulation: int = 1,
        max_grad_norm: Optional[float] = 1.0,
        mixed_precision: str = "no",
        gradient_checkpointing: bool = False,
        scorer: Optional[Callable] = None,
    ):
        _check("num_beams", num_beams, _is_int(num_beams, 1), "an integer >= 1")
        _check("batch_size", batch_size, _is_int(batch_size, 1), "an integer >= 1")
        _check(
            "max_new_tokens",
            max_new_tokens,
            max_new_tokens is None or _is_int(max_new_tokens, 1),
            "null (enough for any tagging) or an integer >= 1",
        )
        _check(
            "grad_accumulation", grad_accumulation, _is_int(grad_accumulation, 1), "an integer >= 1"
        )
        _check("warmup_steps", warmup_steps, _is_int(warmup_steps, 0), "an integer >= 0")
        _check("decay_steps", decay_steps, _is_int(decay_steps, 0), "an integer >= 0")
        _check(
            "mixed_precision",
            mixed_precision,
            mixed_precision in MIXED_PRECISION,
            ", ".join(MIXED_PRECISION),
        )
        _check(
            "unknown_labels",
            unknown_labels,
            unknown_labels in UNKNOWN_LABELS,
            ", ".join(UNKNOWN_LABELS),
        )
        _check("optimizer", optimizer, optimizer in OPTIMIZERS, ", ".join(OPTIMIZERS))
        _check(
            "learning_rate",
            learning_rate,
            isinstance(learning_rate, (int, float)) and learning_rate > 0,
            "a number > 0",
        )
        if "{text}" not in prompt_template:
            raise XLTError(Errors.E247.format(template=prompt_template))
        self.vocab = vocab
        self.backend = model
        self.name = name
        self._labels: List[str] = list(dict.fromkeys(labels))
        self.label_names = dict(label_names or {})
        self.label_map = LabelMap(self.label_names)
        self.unknown_labels = unknown_labels
        self.spans_key = spans_key
        self.constrained = bool(constrained)
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.prompt_template = prompt_template
        self.add_tag_tokens = add_tag_tokens
        self.optimizer_name = optimizer
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self.grad_accumulation = grad_accumulation
        self.max_grad_norm = max_grad_norm
        self.mixed_precision = mixed_precision
        self.gradient_checkpointing = gradient_checkpointing
        self.scorer = scorer
        self.codec: Optional[TagCodec] = None
        # No thinc model: spaCy's training loop then skips finish_update and use_params
        # (the torch model has its own optimizer) but still logs the loss.
        self.model = None
        self._optimizer = None
        self._scaler = None
        self._n_updates = 0
        self._n_steps = 0
        #: counts over everything predicted: sentences, truncated, and dropped tags by reason
        self.stats: Counter = Counter()

    # --- set-up --------------------------------------------------------------------------

    @property
    def labels(self):
        return tuple(self._labels)

    @property
    def is_trainable(self) -> bool:
        return True

    def add_label(self, label: str) -> int:
        if label in self._labels:
            return 0
        self._labels.append(label)
        if self.codec is not None:
            self._setup()
        return 1

    def _tags(self) -> List[str]:
        tags = []
        for label in self._labels:
            name = self.label_map.name(label)
            tags += [f"<{name}>", f"</{name}>"]
        return tags

    def _setup(self) -> None:
        """(Re)build the codec once the model is loaded and the labels are known."""
        self.backend.require()
        if self.add_tag_tokens:
            self.backend.add_tokens(self._tags())
        self.codec = TagCodec(self.backend, self._labels, self.label_map, self.prompt_template)
        if self.gradient_checkpointing:
            self.backend.model.gradient_checkpointing_enable()
        self._optimizer = None

    def _require(self) -> TagCodec:
        if self.codec is None:
            raise XLTError(Errors.E245.format(name=self.backend.name))
        return self.codec

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        """Load the model (the only step that may reach the hub), add the tags, set labels.

        Labels: ``labels`` here, else the config's, else those of the examples' spans.
        """
        if labels:
            self._labels = list(dict.fromkeys(labels))
        elif not self._labels:
            found: List[str] = []
            for eg in get_examples():
                found.extend(s.label for s in doc_spans(eg.reference, self.spans_key))
            self._labels = sorted(set(found))
        if not self._labels:
            where = (
                "entities" if self.spans_key is None else f"spans in doc.spans[{self.spans_key!r}]"
            )
            raise XLTError(Errors.E248.format(where=where))
        if not self.backend.loaded:
            self.backend.load()
        self._setup()
        self.stats.clear()

    # --- prediction ----------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        """Tag a stream: ``self.batch_size`` sentences per ``generate()`` call, taken from
        windows of Docs sorted by length (so that a batch pads little); ``batch_size``
        (what ``nlp.pipe`` passes) only widens the window."""
        window = max(batch_size or 0, self.batch_size * 8)
        for chunk_of_stream in minibatch(stream, size=window):
            docs = list(chunk_of_stream)
            order = sorted(range(len(docs)), key=lambda i: len(docs[i]))
            for chunk in minibatch(order, size=self.batch_size):
                batch = [docs[i] for i in chunk]
                self.set_annotations(batch, self.predict(batch))
            yield from docs

    def predict(self, docs: Sequence[Doc]) -> List[TagResult]:
        codec = self._require()
        return tag_batch(
            codec,
            [[t.text for t in doc] for doc in docs],
            constrained=self.constrained,
            num_beams=self.num_beams,
            max_new_tokens=self.max_new_tokens,
        )

    def set_annotations(self, docs: Sequence[Doc], results: Sequence[TagResult]) -> None:
        for doc, result in zip(docs, results):
            set_doc_spans(doc, result.spans, self.spans_key)
            self.stats["sentences"] += 1
            self.stats["truncated"] += result.truncated
            if not self.constrained:
                doc.user_data[OUTPUT_KEY] = {
                    "text": result.text,
                    "dropped": [list(d) for d in result.dropped],
                }
                self.stats.update(f"dropped_{reason}" for reason, _ in result.dropped)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        """P/R/F of the spans (``ents_*``, or ``spans_<key>_*`` for a span group)."""
        key = self.spans_key
        if self.unknown_labels == "ignore":  # score the tagger's own labels only
            known = set(self._labels)

            def getter(doc, attr):
                spans = doc.ents if key is None else doc.spans.get(key, [])
                return [s for s in spans if s.label_ in known]

            attr = "ents" if key is None else f"spans_{key}"
            return Scorer.score_spans(examples, attr, getter=getter, **kwargs)
        if self.scorer is not None:
            return self.scorer(examples, spans_key=key, **kwargs)
        if key is None:
            return Scorer.score_spans(examples, "ents", **kwargs)
        return Scorer.score_spans(
            examples, f"spans_{key}", getter=lambda doc, attr: doc.spans.get(key, []), **kwargs
        )

    # --- training ------------------------------------------------------------------------

    def _make_optimizer(self):
        import torch

        params = [p for p in self.backend.model.parameters() if p.requires_grad]
        if self.optimizer_name == "adafactor":
            from transformers.optimization import Adafactor

            opt = Adafactor(
                params,
                lr=self.learning_rate,
                weight_decay=self.weight_decay,
                scale_parameter=False,
                relative_step=False,
            )
        else:
            opt = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=self.weight_decay)
        if self.mixed_precision == "fp16" and self.backend.device.type == "cuda":
            self._scaler = torch.amp.GradScaler("cuda")
        return opt

    def _autocast(self):
        import contextlib

        import torch

        if self.mixed_precision == "no":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.mixed_precision == "bf16" else torch.float16
        return torch.autocast(self.backend.device.type, dtype=dtype)

    def get_loss(self, examples: Iterable[Example]):
        """Teacher-forced loss of the canonical tagged targets of the examples' gold spans."""
        codec = self._require()
        inputs, targets = [], []
        known = set(self._labels)
        for i, eg in enumerate(examples):
            ref = eg.reference
            words = [t.text for t in ref]
            spans = doc_spans(ref, self.spans_key)
            for span in spans:
                if span.label not in known and self.unknown_labels == "error":
                    raise XLTError(
                        Errors.E250.format(index=i, label=span.label, labels=self._labels)
                    )
            spans = [s for s in spans if s.label in known]
            if not words:
                continue
            inputs.append(codec.input_ids(words))
            targets.append(codec.target(words, spans, record=f"example {i}"))
        if not inputs:
            return None
        with self._autocast():
            return self.backend.loss(inputs, targets)

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Any = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """One teacher-forcing step; the optimizer steps every ``grad_accumulation`` calls.

        ``sgd`` (spaCy's optimizer) is not used: the model trains with its own torch
        optimizer (``optimizer``, ``learning_rate``, ``warmup_steps`` …), and the model's
        own dropout applies, not ``drop``.
        """
        import torch

        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        self._require()
        model = self.backend.model
        if self._optimizer is None:
            self._optimizer = self._make_optimizer()
        model.train()
        try:
            loss = self.get_loss(list(examples))
            if loss is None:
                return losses
            scaled = loss / self.grad_accumulation
            if self._scaler is not None:
                self._scaler.scale(scaled).backward()
            else:
                scaled.backward()
            self._n_updates += 1
            if self._n_updates % self.grad_accumulation == 0:
                self._step(torch)
        finally:
            model.eval()
        losses[self.name] += float(loss.detach())
        return losses

    def lr_at(self, step: int) -> float:
        """Learning rate of optimizer step ``step`` (1-based): linear warm-up over
        ``warmup_steps``, then constant, or with ``decay_steps`` a cosine decay to 0 over
        that many steps (the published recipe: 500 warm-up steps, cosine)."""
        import math

        if self.warmup_steps and step < self.warmup_steps:
            return self.learning_rate * step / self.warmup_steps
        if not self.decay_steps:
            return self.learning_rate
        done = min(1.0, (step - self.warmup_steps) / self.decay_steps)
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * done))

    def _set_lr(self) -> None:
        for group in self._optimizer.param_groups:
            group["lr"] = self.lr_at(self._n_steps)

    def _step(self, torch) -> None:
        opt = self._optimizer
        self._n_steps += 1
        self._set_lr()
        if self._scaler is not None:
            self._scaler.unscale_(opt)
        if self.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.backend.model.parameters(), self.max_grad_norm)
        if self._scaler is not None:
            self._scaler.step(opt)
            self._scaler.update()
        else:
            opt.step()
        opt.zero_grad(set_to_none=True)

    # --- serialization -------------------------------------------------------------------

    def _cfg(self) -> Dict[str, Any]:
        return {"version": CFG_VERSION, "labels": self._labels, "label_names": self.label_names}

    def to_disk(self, path, *, exclude=tuple()) -> None:
        """``cfg`` (labels, label names) and, once loaded, ``model/`` (weights, tokenizer)."""
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self._cfg())
        if self.backend.loaded:
            self.backend.save(path / "model")

    def from_disk(self, path, *, exclude=tuple()) -> "Text2TextTagger":
        """Load from a folder written by ``to_disk``; never reaches the hub."""
        path = ensure_path(path)
        if not (path / "cfg").exists():
            raise XLTError(Errors.E249.format(path=path, why="no cfg file"))
        cfg = srsly.read_json(path / "cfg")
        if not isinstance(cfg, dict) or cfg.get("version") != CFG_VERSION:
            raise XLTError(Errors.E249.format(path=path, why=f"unknown cfg {cfg!r}"))
        self._labels = list(cfg["labels"])
        self.label_names = dict(cfg.get("label_names") or {})
        self.label_map = LabelMap(self.label_names)
        if (path / "model").exists():
            self.backend.load(path / "model", local_files_only=True)
            self._setup()
        return self

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(tmp, exclude=exclude)
            root = Path(tmp)
            files = {
                str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()
            }
        return srsly.msgpack_dumps(files)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "Text2TextTagger":
        files = srsly.msgpack_loads(bytes_data)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for rel, data in files.items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            self.from_disk(root, exclude=exclude)
        return self
