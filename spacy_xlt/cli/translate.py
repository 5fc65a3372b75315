"""``spacy xlt translate``: translate source Docs and write parallel pairs, resumably.

Each finished chunk of translations (``--chunk-size`` Docs) is kept in the resume file
beside the output (``OUT.spacy.partial.jsonl``, see :mod:`spacy_xlt.resume`) before the next
chunk starts, so a crash or a kill loses at most the chunk in flight: rerun the same command
and it continues after the last finished chunk. The job that must stay the same is the
input file, the model, the languages, ``--num-beams``, ``--max-new-tokens``,
``--max-length`` and ``--dtype`` (``--batch-size``, ``--chunk-size``, ``--device`` and
``--lang`` may change between runs). When every Doc is translated, the targets are tokenized
with the target language's spaCy tokenizer, the pairs written to OUT.spacy and the resume
file removed. A second run on the same output while one is going fails at once (the
output's lock).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ..resume import file_sha256, model_identity, resume_path, resuming
from ._app import xlt_cli

#: Translator counts about inputs longer than ``max_length`` that the command reports (with
#: any other count whose name says so: see :func:`long_input_counts`).
LONG_INPUT_COUNTS = ("truncated", "chunked")
_LONG_INPUT_WORDS = ("truncat", "chunk", "window", "split", "long")

RESTART_HELP = (
    "Discard the resume file of an earlier, unfinished run (OUT.spacy.partial.jsonl) and "
    "start over; without it a rerun continues that run's work, and a resume file of "
    "other settings is an error"
)


def spacy_lang(code: str) -> str:
    """The spaCy language code for an ISO 639 or model code ("hau_Latn" -> "ha"); blank()
    falls back to "xx" where spaCy has no such language."""
    from ..backends.langcodes import lookup

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
    translator=None,
    progress: bool = True,
    restart: bool = False,
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
    """
    from spacy.vocab import Vocab
    from tqdm import tqdm

    from .. import util
    from ..io import check_output
    from ..pairs import make_pair, read_docs, write_pairs

    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise XLTError(
            Errors.E283.format(name="chunk_size", value=chunk_size, options="an int >= 1")
        )
    output_path = check_output(output_path, [input_path])
    vocab = Vocab()
    docs = list(read_docs(input_path, vocab))
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
    texts = [doc.text for doc in docs]
    with resuming(output_path, "translate", job, restart=restart, inputs=[input_path]) as state:
        state.check_total(len(docs))
        done: List[str] = []
        totals: Counter = Counter()
        for record in state.records:
            done.extend(_translations(state, record))
            totals.update(_counts(state, record))
        resumed = len(done)
        if translator is None and resumed < len(docs):
            from ..backends.translator import Translator

            translator = Translator(
                model,
                device=device,
                dtype=dtype,
                batch_size=batch_size,
                max_length=max_length,
                num_beams=num_beams,
                max_new_tokens=max_new_tokens,
            )
            translator.load()  # this command is the translator's initialize
        if resumed < len(docs):
            check_code = getattr(translator, "code", None)
            if callable(check_code):  # a language the model lacks fails before any work
                check_code(src)
                check_code(tgt)
        start_time = time.perf_counter()
        with tqdm(
            total=len(docs), initial=resumed, disable=not progress, desc="translate", unit="doc"
        ) as bar:
            for start in range(resumed, len(docs), chunk_size):
                chunk = texts[start : start + chunk_size]
                todo = [i for i, t in enumerate(chunk) if t.strip()]
                out = [""] * len(chunk)
                before = dict(getattr(translator, "counts", {}) or {})
                if todo:
                    for i, t in zip(todo, translator.translate([chunk[i] for i in todo], src, tgt)):
                        out[i] = t
                delta = _count_delta(dict(getattr(translator, "counts", {}) or {}), before)
                record = state.append(len(chunk), {"translations": out, "counts": delta})
                done.extend(record["translations"])
                totals.update(record["counts"])
                bar.update(len(chunk))
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


@xlt_cli.command("translate")
def translate_cli(
    input_path: Path = typer.Argument(
        ..., help="Source Docs (.spacy), e.g. English gold", exists=True, dir_okay=False
    ),
    output_path: Path = typer.Argument(
        ..., help="Output .spacy: target Docs carrying their source side (pairs)"
    ),
    model: str = typer.Option(
        "facebook/nllb-200-distilled-600M",
        "--model",
        "-m",
        help="Translation model: Hugging Face name or local folder (NLLB-200, M2M100, Marian …)",
    ),
    src: str = typer.Option(
        "en", "--src", help="Source language: ISO 639 code or the model's own code"
    ),
    tgt: str = typer.Option(
        ...,
        "--tgt",
        help="Target language: ISO 639 code (ha, hau) or the model's own code (hau_Latn)",
    ),
    lang: Optional[str] = typer.Option(
        None,
        "--lang",
        help="spaCy language whose tokenizer splits the translations (default: --tgt; 'xx' where spaCy has none)",
    ),
    batch_size: int = typer.Option(32, "--batch-size", "-b", help="Sentences per forward pass"),
    chunk_size: int = typer.Option(256, "--chunk-size", help="Sentences kept in the resume file per step"),
    num_beams: int = typer.Option(4, "--num-beams", help="Beam size"),
    max_new_tokens: int = typer.Option(
        256, "--max-new-tokens", help="Longest translation, in tokens"
    ),
    max_length: int = typer.Option(
        256,
        "--max-length",
        help="Longest input the model reads, in tokens (the translator's max_length); longer sources are handled by the translator and counted at the end",
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:0 …"),
    dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16"),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
):
    """Translate Docs and write parallel pairs; a rerun resumes after the last finished chunk.

    Finished chunks are kept in OUT.spacy.partial.jsonl until OUT.spacy is written; rerun
    the same command after a crash to continue (--restart starts over). A second run on the
    same output fails at once while one is going.
    """
    from ..runtime import tune_malloc

    tune_malloc()  # beam search on a CPU: far fewer page faults (SPACY_XLT_MALLOC=default: off)
    try:
        counts = translate_docs(
            input_path,
            output_path,
            model=model,
            src=src,
            tgt=tgt,
            lang=lang,
            batch_size=batch_size,
            chunk_size=chunk_size,
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
            max_length=max_length,
            device=device,
            dtype=dtype,
            restart=restart,
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    if counts["discarded"]:
        msg.info(f"Discarded the resume file {resume_path(output_path)} (--restart)")
    if counts["resumed"]:
        dropped = counts["dropped_partial_lines"]
        extra = f"; dropped {dropped} broken last line" if dropped else ""
        msg.info(f"Resumed after {counts['resumed']} finished docs{extra}")
    if counts["long_inputs"]:
        items = ", ".join(f"{key} {n}" for key, n in counts["long_inputs"].items())
        msg.warn(f"Inputs longer than --max-length {max_length} tokens: {items}")
    unfinished = counts["translator_counts"].get("unfinished", 0)
    if unfinished:
        msg.warn(
            f"{unfinished} translations reached --max-new-tokens {max_new_tokens} before they ended"
        )
    msg.good(f"Wrote {counts['docs']} pairs to {output_path} ({counts['seconds']:.1f} s)")
