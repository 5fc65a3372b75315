"""``spacy xlt translate``: translate source Docs and write parallel pairs, resumably.

Each finished batch of translations is appended to a JSONL sidecar (``OUT.spacy.partial.jsonl``)
and flushed before the next batch starts, so a crash loses at most the batch in flight; a
rerun with the same input, model and languages continues after the last finished batch (a
half-written last line from a crash is dropped). When every Doc is translated, the targets
are tokenized with the target language's spaCy tokenizer, the pairs written to OUT.spacy,
and the sidecar removed.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli

SIDECAR_SUFFIX = ".partial.jsonl"


def sidecar_path(output_path: Path) -> Path:
    return Path(str(output_path) + SIDECAR_SUFFIX)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def spacy_lang(code: str) -> str:
    """The spaCy language code for an ISO 639 or model code ("hau_Latn" -> "ha"); blank()
    falls back to "xx" where spaCy has no such language."""
    from ..backends.langcodes import lookup

    entry = lookup(code)
    return (entry.iso1 or entry.iso3) if entry is not None else code


def read_sidecar(path: Path, job: Dict[str, Any]) -> Tuple[List[str], int]:
    """Translations finished by earlier runs (in order) and the number of lines dropped.

    The first line must describe the same job (XLTE290). A broken *last* line, left by a
    crash while writing, is dropped; a broken line elsewhere is an error (XLTE291).
    """
    lines = path.read_text(encoding="utf8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    done: List[str] = []
    dropped = 0
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as err:
            if number == len(lines) and number > 1:
                dropped += 1
                continue
            raise XLTError(Errors.E291.format(path=path, line=number, why=err)) from err
        if number == 1:
            if record.get("job") != job:
                why = f"it was started for {record.get('job')!r}, this run is {job!r}"
                raise XLTError(Errors.E290.format(path=path, line=1, why=why))
            continue
        start, texts = record.get("start"), record.get("translations")
        if (
            start != len(done)
            or not isinstance(texts, list)
            or not all(isinstance(t, str) for t in texts)
        ):
            raise XLTError(
                Errors.E291.format(
                    path=path, line=number, why=f"expected a batch starting at {len(done)}"
                )
            )
        done.extend(texts)
    return done, dropped


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
    device: str = "cpu",
    dtype: str = "float32",
    translator=None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Translate every Doc of ``input_path`` and write pairs to ``output_path``; returns counts.

    ``chunk_size`` Docs are translated (length-sorted, ``batch_size`` at a time) and saved to
    the sidecar before the next chunk starts. ``translator`` replaces the model built from
    ``model``/``device``/``dtype`` (any object with ``translate(texts, src, tgt)``).
    """
    from spacy.vocab import Vocab
    from tqdm import tqdm

    from .. import util
    from ..pairs import make_pair, read_docs, write_pairs

    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise XLTError(
            Errors.E283.format(name="chunk_size", value=chunk_size, options="an int >= 1")
        )
    vocab = Vocab()
    docs = list(read_docs(input_path, vocab))
    job = {
        "input_sha256": _file_hash(input_path),
        "n_docs": len(docs),
        "model": str(model),
        "src": src,
        "tgt": tgt,
        "num_beams": num_beams,
        "max_new_tokens": max_new_tokens,
    }
    side = sidecar_path(output_path)
    done: List[str] = []
    dropped = 0
    if side.exists():
        done, dropped = read_sidecar(side, job)
        # rewrite without the broken line so that appends stay well-formed
        if dropped:  # the broken last line goes, so that appends stay well-formed
            lines = side.read_text(encoding="utf8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            side.write_text("\n".join(lines[:-1]) + "\n", encoding="utf8")
    else:
        side.parent.mkdir(parents=True, exist_ok=True)
        side.write_text(json.dumps({"job": job}, ensure_ascii=False) + "\n", encoding="utf8")
    resumed = len(done)
    if translator is None and resumed < len(docs):
        from ..backends.translator import Translator

        translator = Translator(
            model,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
        )
        translator.load()  # this command is the translator's initialize
    start_time = time.perf_counter()
    texts = [doc.text for doc in docs]
    with tqdm(
        total=len(docs), initial=resumed, disable=not progress, desc="translate", unit="doc"
    ) as bar:
        for start in range(resumed, len(docs), chunk_size):
            chunk = texts[start : start + chunk_size]
            todo = [i for i, t in enumerate(chunk) if t.strip()]
            out = [""] * len(chunk)
            if todo:
                for i, t in zip(todo, translator.translate([chunk[i] for i in todo], src, tgt)):
                    out[i] = t
            with side.open("a", encoding="utf8") as f:
                f.write(
                    json.dumps({"start": start, "translations": out}, ensure_ascii=False) + "\n"
                )
                f.flush()
            done.extend(out)
            bar.update(len(chunk))
    seconds = time.perf_counter() - start_time
    nlp = util.blank(lang or spacy_lang(tgt))
    pairs = []
    for doc, text in zip(docs, done):
        target = nlp.make_doc(text)
        pairs.append(make_pair(doc, target, source_lang=src))
    write_pairs(pairs, output_path)
    side.unlink()
    return {
        "docs": len(docs),
        "resumed": resumed,
        "translated": len(docs) - resumed,
        "dropped_partial_lines": dropped,
        "empty": sum(1 for t in texts if not t.strip()),
        "seconds": seconds,
    }


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
    chunk_size: int = typer.Option(256, "--chunk-size", help="Sentences saved per resume step"),
    num_beams: int = typer.Option(4, "--num-beams", help="Beam size"),
    max_new_tokens: int = typer.Option(
        256, "--max-new-tokens", help="Longest translation, in tokens"
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:0 …"),
    dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16"),
):
    """Translate Docs and write parallel pairs; a rerun resumes after the last finished chunk."""
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
            device=device,
            dtype=dtype,
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    if counts["resumed"]:
        msg.info(f"Resumed after {counts['resumed']} finished docs")
    msg.good(f"Wrote {counts['docs']} pairs to {output_path} ({counts['seconds']:.1f} s)")
