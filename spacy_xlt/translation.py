"""Translation of corpora into parallel pairs, resumably: the library behind ``spacy xlt
translate`` (and its Ray variant, ``spacy_xlt.distributed``).

Each finished chunk of translations (``chunk_size`` Docs) is kept in the resume file beside
the output (``OUT.spacy.partial.jsonl``, see :mod:`spacy_xlt.resume`) before the next chunk
starts, so a crash or a kill loses at most the chunk in flight: rerun the same job and it
continues after the last finished chunk. The job that must stay the same is the input file,
the model, the languages, ``num_beams``, ``max_new_tokens``, ``max_length`` and ``dtype``
(batch size, chunk size, device and the tokenizer language may change between runs). When
every Doc is translated, the targets are tokenized with the target language's spaCy
tokenizer, the pairs written and the resume file removed.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

from .errors import Errors, XLTError
from .resume import file_sha256, model_identity, resuming

#: The translation backends the command can build: Hugging Face ``generate``, or CTranslate2
#: (``pip install spacy-xlt[ct2]``).
BACKENDS = ("hf", "ct2")


def build_translator(
    model: str,
    *,
    backend: str = "hf",
    device: str = "cpu",
    dtype: str = "float32",
    compute_type: str = "default",
    batch_size: int = 32,
    max_length: int = 256,
    num_beams: int = 4,
    max_new_tokens: int = 256,
):
    """The translator of these settings, not loaded: ``spacy_xlt.Translator.v1`` (``hf``)
    or ``spacy_xlt.CT2Translator.v1`` (``ct2``, with ``compute_type``)."""
    settings = dict(
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        num_beams=num_beams,
        max_new_tokens=max_new_tokens,
    )
    if backend == "hf":
        from .backends.translator import Translator

        return Translator(model, **settings)
    if backend == "ct2":
        from .backends.ct2 import CT2Translator

        return CT2Translator(model, compute_type=compute_type, **settings)
    raise XLTError(Errors.E283.format(name="backend", value=backend, options=", ".join(BACKENDS)))


#: Translator counts about inputs longer than ``max_length`` that the command reports (with
#: any other count whose name says so: see :func:`long_input_counts`).
LONG_INPUT_COUNTS = ("truncated", "chunked")
_LONG_INPUT_WORDS = ("truncat", "chunk", "window", "split", "long")

def spacy_lang(code: str) -> str:
    """The spaCy language code for an ISO 639 or model code ("hau_Latn" -> "ha"); blank()
    falls back to "xx" where spaCy has no such language."""
    from .backends.langcodes import lookup

    entry = lookup(code)
    return (entry.iso1 or entry.iso3) if entry is not None else code


def long_input_counts(counts: Dict[str, int], translator: Any = None) -> Dict[str, int]:
    """The non-zero counts about long inputs (``truncated``, ``chunked`` and any other the
    translator names in ``LONG_INPUT_COUNTS`` or whose name says truncated/chunk/window/
    split/long), in a stable order."""
    named = list(LONG_INPUT_COUNTS) + list(getattr(translator, "LONG_INPUT_COUNTS", ()) or ())
    keys = [k for k in dict.fromkeys(named)] + sorted(
        k for k in counts if k not in named and any(w in k for w in _LONG_INPUT_WORDS)
    )
    return {k: int(counts[k]) for k in keys if counts.get(k)}


def _count_delta(after: Dict[str, Any], before: Dict[str, Any]) -> Dict[str, int]:
    out = {}
    for key, value in after.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            diff = value - before.get(key, 0)
            if diff:
                out[str(key)] = diff
    return out


def translate_chunk(translator: Any, texts: List[str], src: str, tgt: str) -> Dict[str, Any]:
    """One chunk's resume record: ``translations`` (an empty text stays empty, untranslated)
    and ``counts``, what the translator's counts grew by."""
    todo = [i for i, t in enumerate(texts) if t.strip()]
    out = [""] * len(texts)
    before = dict(getattr(translator, "counts", {}) or {})
    if todo:
        for i, t in zip(todo, translator.translate([texts[i] for i in todo], src, tgt)):
            out[i] = t
    delta = _count_delta(dict(getattr(translator, "counts", {}) or {}), before)
    return {"translations": out, "counts": delta}


def translate_docs(
    input_path: Path,
    output_path: Path,
    *,
    model: str,
    src: str,
    tgt: str,
    lang: Optional[str] = None,
    batch_size: int = 32,
    chunk_size: int = 256,
    num_beams: int = 4,
    max_new_tokens: int = 256,
    max_length: int = 256,
    device: str = "cpu",
    dtype: str = "float32",
    backend: str = "hf",
    compute_type: str = "default",
    translator=None,
    progress: bool = True,
    restart: bool = False,
    ray=None,
) -> Dict[str, Any]:
    """Translate every Doc of ``input_path`` and write pairs to ``output_path``; returns counts.

    ``chunk_size`` Docs are translated (length-sorted, ``batch_size`` at a time) and kept in
    the resume file before the next chunk starts; a rerun of the same job continues after
    the last finished chunk (``restart``: discard it first). ``translator`` replaces the
    model built from ``model``/``device``/``dtype``/``max_length`` (any object with
    ``translate(texts, src, tgt)``). The counts: ``docs``, ``resumed`` (finished by earlier
    runs), ``translated``, ``dropped_partial_lines``, ``empty``, ``seconds`` (this run) and
    ``translator_counts`` (the translator's counts over the whole job, earlier runs
    included).

    ``ray`` (``spacy_xlt.distributed.RayOptions``): the chunks are translated by a pool of
    Ray actors, each building the translator once from these settings (or getting
    ``translator``, pickled), and kept in the resume file as they arrive, in order: the same
    output and resume file as without Ray (``ray_actors`` in the counts: the pool's size).
    """
    from spacy.vocab import Vocab
    from tqdm import tqdm

    from . import util
    from .io import check_output
    from .pairs import make_pair, read_docs, write_pairs

    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise XLTError(
            Errors.E283.format(name="chunk_size", value=chunk_size, options="an int >= 1")
        )
    output_path = check_output(output_path, [input_path])
    vocab = Vocab()
    docs = list(read_docs(input_path, vocab))
    if backend not in BACKENDS:
        raise XLTError(Errors.E283.format(name="backend", value=backend, options=", ".join(BACKENDS)))
    job = {
        "input_sha256": file_sha256(input_path),
        "n_docs": len(docs),
        "model": model_identity(str(model)),
        "src": src,
        "tgt": tgt,
        "num_beams": num_beams,
        "max_new_tokens": max_new_tokens,
        "max_length": max_length,
        "dtype": dtype,
    }
    if backend != "hf":  # older resume files (hf) keep their job
        job["backend"] = {"name": backend, "compute_type": compute_type}
    texts = [doc.text for doc in docs]
    with resuming(output_path, "translate", job, restart=restart, inputs=[input_path]) as state:
        state.check_total(len(docs))
        done: List[str] = []
        totals: Counter = Counter()
        for record in state.records:
            done.extend(_translations(state, record))
            totals.update(_counts(state, record))
        resumed = len(done)
        if translator is None and resumed < len(docs) and ray is None:
            translator = build_translator(
                model,
                backend=backend,
                device=device,
                dtype=dtype,
                compute_type=compute_type,
                batch_size=batch_size,
                max_length=max_length,
                num_beams=num_beams,
                max_new_tokens=max_new_tokens,
            )
            translator.load()  # this step is the translator's initialize
        if resumed < len(docs) and ray is None:
            check_code = getattr(translator, "code", None)
            if callable(check_code):  # a language the model lacks fails before any work
                check_code(src)
                check_code(tgt)
        start_time = time.perf_counter()
        info: Dict[str, Any] = {}
        if ray is None:
            chunks = (
                (len(texts[start : start + chunk_size]), translate_chunk(translator, texts[start : start + chunk_size], src, tgt))
                for start in range(resumed, len(docs), chunk_size)
            )
        else:
            from .distributed import translate_chunks

            settings = {
                "model": str(model), "src": src, "tgt": tgt, "device": device, "dtype": dtype,
                "batch_size": batch_size, "max_length": max_length, "num_beams": num_beams,
                "max_new_tokens": max_new_tokens, "backend": backend, "compute_type": compute_type,
            }  # fmt: skip
            chunks = (
                (n, data)
                for _, n, data in translate_chunks(ray, docs, resumed, chunk_size, settings, translator=translator, info=info)
            )
        with tqdm(
            total=len(docs), initial=resumed, disable=not progress, desc="translate", unit="doc"
        ) as bar:
            for n, data in chunks:
                record = state.append(n, data)
                done.extend(record["translations"])
                totals.update(record["counts"])
                bar.update(n)
        seconds = time.perf_counter() - start_time
        nlp = util.blank(lang or spacy_lang(tgt))
        pairs = []
        for doc, text in zip(docs, done):
            target = nlp.make_doc(text)
            pairs.append(make_pair(doc, target, source_lang=src))
        write_pairs(pairs, output_path, inputs=[input_path])
        state.finish()
    return {
        "docs": len(docs),
        "resumed": resumed,
        "translated": len(docs) - resumed,
        "dropped_partial_lines": state.dropped,
        "discarded": state.discarded,
        "empty": sum(1 for t in texts if not t.strip()),
        "seconds": seconds,
        "translator_counts": dict(totals),
        "long_inputs": long_input_counts(totals, translator),
        "ray_actors": info.get("actors", 0),
    }


def _translations(state, record) -> List[str]:
    texts = record.data.get("translations")
    if not isinstance(texts, list) or len(texts) != record.n or not all(isinstance(t, str) for t in texts):
        raise state.bad_record(record, f"expected {record.n} translations")
    return texts


def _counts(state, record) -> Dict[str, int]:
    counts = record.data.get("counts", {})
    if not isinstance(counts, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in counts.values()
    ):
        raise state.bad_record(record, "its counts are not numbers")
    return counts
