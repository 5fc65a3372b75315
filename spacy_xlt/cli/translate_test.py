"""``spacy xlt translate-test INPUT OUTPUT``: translate-test over a corpus, resumably.

The words of each target Doc of INPUT (a gold corpus: its spans are not read) go through an
``xlt_translate_test`` component: translated into the source language, tagged by a
source-language pipeline, projected back. The component is either a saved pipeline holding one
(``--saved``, loaded offline) or built from the options (``--pipeline``, ``--model``,
``--projector`` or ``--projector-config``, ``--set``) and initialized (the only step that may
download). As ``spacy xlt translate``, finished chunks (``--chunk-size`` Docs) are kept in the
resume file beside the output (``OUT.spacy.partial.jsonl``): a rerun of the same job continues
after the last finished chunk, a progress bar counts the Docs, and a second run on the same
output fails at once (its lock). The job is the input, the component's config (devices and
batch sizes left out) and the pipeline's language (and a saved pipeline's identity).
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ..translation import long_input_counts, spacy_lang
from ._app import xlt_cli
from ._util import parse_overrides, report_resume
from .translate import RESTART_HELP

COMPONENT = "xlt_translate_test"
SET_HELP = (
    "Override KEY=VALUE in the xlt_translate_test component's config (VALUE read as JSON, "
    "else a string); repeatable. E.g. projector.num_beams=3, projector.translator.name=NAME, "
    "label_map={\"PERSON\":\"PER\"}, source_spans_key=sc"
)


def _docbin_text(docs: List[Any]) -> str:
    from ..pairs import docs_to_bytes

    return base64.b64encode(docs_to_bytes(docs)).decode("ascii")


def _decode(text: str, vocab) -> List[Any]:
    from spacy.tokens import DocBin

    return list(DocBin(store_user_data=True).from_bytes(base64.b64decode(text)).get_docs(vocab))


def _set(config: Dict[str, Any], overrides: Dict[str, Any]) -> Dict[str, Any]:
    """``config`` with dotted ``overrides`` set inside it."""
    from ..projectors import apply_overrides

    return apply_overrides({"c": config}, {f"c.{k}": v for k, v in overrides.items()})["c"]


def build_component(
    *,
    pipeline: str,
    model: str,
    src: str,
    tgt: str,
    lang: Optional[str] = None,
    projector: str = "codec",
    projector_config: Optional[Path] = None,
    marker_model: Optional[str] = None,
    label_map: Optional[Dict[str, str]] = None,
    keep_unmapped: bool = False,
    save_translation: bool = False,
    batch_size: int = 32,
    num_beams: int = 4,
    max_new_tokens: int = 256,
    max_length: int = 256,
    device: Optional[str] = None,
    dtype: str = "float32",
    backend: str = "hf",
    compute_type: str = "default",
    overrides: Optional[Dict[str, Any]] = None,
):
    """A blank pipeline of the target language holding an initialized ``xlt_translate_test``
    built from the options; (nlp, component). ``backend``: the translator's (target ->
    source), ``hf`` (``spacy_xlt.Translator.v1``) or ``ct2`` (``spacy_xlt.CT2Translator.v1``
    with ``compute_type``)."""
    from .. import util
    from ..translation import BACKENDS

    if backend not in BACKENDS:
        raise XLTError(Errors.E283.format(name="backend", value=backend, options=", ".join(BACKENDS)))
    from ..projectors import (
        _interpolated_block,
        _with_defaults,
        device_overrides,
        method_config,
        read_projector_config,
    )

    block = read_projector_config(projector_config) if projector_config is not None else method_config(projector)
    block = _interpolated_block(block)
    if marker_model is not None and block.get("factory") == "xlt_marker_projector":
        block = _set(block, {"translator.name": marker_model})
    config: Dict[str, Any] = {
        "translator": {
            "@misc": "spacy_xlt.Translator.v1",
            "name": model,
            "dtype": dtype,
            "batch_size": batch_size,
            "num_beams": num_beams,
            "max_new_tokens": max_new_tokens,
            "max_length": max_length,
            **({"@misc": "spacy_xlt.CT2Translator.v1", "compute_type": compute_type} if backend == "ct2" else {}),
        },
        "pipeline": pipeline,
        "projector": block,
        "source_lang": src,
        "target_lang": tgt,
        "unmapped": "keep" if keep_unmapped else "drop",
        "save_translation": save_translation,
        "batch_size": batch_size,
    }
    if label_map is not None:
        config["label_map"] = label_map
    config = _set(config, dict(overrides or {}))
    if device is not None:
        inner = device_overrides(_with_defaults(dict(config["projector"])), device, "projector.")
        config = _set(config, {"translator.device": device, **inner})
    nlp = util.blank(lang or spacy_lang(tgt))
    from thinc.api import ConfigValidationError

    try:
        pipe = nlp.add_pipe(COMPONENT, config=config)
    except ConfigValidationError as err:
        from ..projectors import _validation_why

        raise XLTError(Errors.E332.format(factory=COMPONENT, why=_validation_why(err))) from err
    nlp.initialize(lambda: [])
    return nlp, pipe


def load_component(saved: str, overrides: Optional[Dict[str, Any]] = None, device: Optional[str] = None):
    """A saved pipeline holding an ``xlt_translate_test`` component; (nlp, component)."""
    import spacy
    from spacy.util import load_config
    from thinc.api import ConfigValidationError

    from ..projectors import _validation_why, device_overrides, pipeline_path

    path = pipeline_path(saved)
    config = load_config(path / "config.cfg", interpolate=False)
    names = [n for n, c in config["components"].items() if c.get("factory") == COMPONENT]
    if len(names) != 1:
        raise XLTError(Errors.E490.format(path=path, component=COMPONENT, why=f"it holds {len(names)} {COMPONENT} components, not one"))
    name = names[0]
    flat = {f"components.{name}.{k}": v for k, v in (overrides or {}).items()}
    if device is not None:
        block = dict(config["components"][name])
        for key, value in device_overrides(block, device).items():
            flat[f"components.{name}.{key}"] = value
    try:
        nlp = spacy.load(path, config=flat)
    except ConfigValidationError as err:
        raise XLTError(Errors.E084.format(overrides=flat, model=saved, why=_validation_why(err))) from err
    return nlp, nlp.get_pipe(name)


def translate_test_job(nlp, pipe, input_path: Path, saved: Optional[str] = None) -> Dict[str, Any]:
    """What determines the output: the input, the component's config without devices and
    batch sizes, the pipeline's language, and a saved pipeline's identity."""
    from ..resume import file_sha256, json_value, model_identity

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("device", "batch_size")}
        return value

    job: Dict[str, Any] = {
        "input_sha256": file_sha256(input_path),
        "lang": nlp.lang,
        "component": json_value(strip(dict(nlp.config["components"][pipe.name]))),
    }
    if saved is not None:
        from ..projectors import pipeline_path

        job["saved"] = model_identity(str(pipeline_path(saved)))
    return job


def translate_test_file(
    nlp,
    pipe,
    input_path: Path,
    output_path: Path,
    *,
    job: Optional[Dict[str, Any]] = None,
    chunk_size: int = 256,
    restart: bool = False,
    progress: bool = True,
    lock: bool = True,
) -> Dict[str, Any]:
    """Run the translate-test pipeline over the words of ``input_path`` (a corpus; its spans
    are not read) and write the Docs with the projected spans to ``output_path``; resumable
    by chunks of ``chunk_size`` Docs (``job``: what determines the output). Returns ``docs``,
    ``resumed``, ``discarded``, ``seconds`` (this run), ``spans`` (projected, over the whole
    job), the component's counts and the translator's long-input counts of this run."""
    from collections import Counter

    from spacy.tokens import Doc
    from tqdm import tqdm

    from ..corpora import read_corpus
    from ..pairs import write_docs
    from ..resume import resuming

    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise XLTError(Errors.E283.format(name="chunk_size", value=chunk_size, options="an int >= 1"))
    gold = read_corpus(input_path, fmt="auto", lang=nlp.vocab)
    bare = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in gold]
    full_job = {**(job or {}), "n_docs": len(bare)}
    docs: List[Any] = []
    totals: Counter = Counter()
    translator = getattr(pipe, "translator", None)
    before_counts = dict(getattr(translator, "counts", {}) or {})
    start_time = time.perf_counter()
    with resuming(output_path, "translate-test", full_job, restart=restart, inputs=[input_path], lock=lock) as state:
        state.check_total(len(bare))
        for record in state.records:
            try:
                chunk = _decode(record.data["docbin"], nlp.vocab)
            except Exception as err:  # a damaged record
                raise state.bad_record(record, f"its Docs do not read back ({type(err).__name__})") from None
            if len(chunk) != record.n:
                raise state.bad_record(record, f"expected {record.n} Docs, found {len(chunk)}")
            docs.extend(chunk)
            totals.update(record.data.get("counts") or {})
        resumed = len(docs)
        with tqdm(total=len(bare), initial=resumed, disable=not progress, desc="translate-test", unit="doc") as bar:
            for start in range(resumed, len(bare), chunk_size):
                before = Counter(pipe.stats) + Counter(getattr(pipe, "projector_stats", {}) or {})
                chunk = list(nlp.pipe(bare[start : start + chunk_size]))
                after = Counter(pipe.stats) + Counter(getattr(pipe, "projector_stats", {}) or {})
                delta = {k: int(after[k] - before[k]) for k in after if after[k] - before[k]}
                record = state.append(len(chunk), {"docbin": _docbin_text(chunk), "counts": delta})
                docs.extend(_decode(record["docbin"], nlp.vocab))  # as it reads back, in every run
                totals.update(record["counts"])
                bar.update(len(chunk))
        write_docs(docs, output_path, inputs=[input_path])
        state.finish()
    after_counts = dict(getattr(translator, "counts", {}) or {})
    delta_counts = {k: v - before_counts.get(k, 0) for k, v in after_counts.items() if isinstance(v, int)}
    return {
        "docs": len(docs),
        "resumed": resumed,
        "discarded": state.discarded,
        "seconds": time.perf_counter() - start_time,
        "spans": sum(len(d.ents) if getattr(pipe, "spans_key", None) is None else len(d.spans.get(pipe.spans_key, [])) for d in docs),
        "counts": dict(totals),
        "long_inputs": long_input_counts(delta_counts, translator),
    }


def _label_map(value: Optional[str]) -> Optional[Dict[str, str]]:
    if value is None:
        return None
    out: Dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, name = item.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise XLTError(Errors.E003.format(entry=item))
        out[key.strip()] = name.strip()
    return out


@xlt_cli.command("translate-test")
def translate_test_cli(
    input_path: Path = typer.Argument(..., help="Target-language corpus (.spacy, CoNLL …): its words are annotated", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output .spacy: the input's words with the projected spans"),
    saved: Optional[str] = typer.Option(None, "--saved", help="A saved pipeline (folder or package) holding an xlt_translate_test component; the other model options are then not used"),
    pipeline: str = typer.Option("en_core_web_lg", "--pipeline", "-p", help="Source-language spaCy pipeline (package name or folder) that tags the translations"),
    model: str = typer.Option("facebook/nllb-200-3.3B", "--model", "-m", help="Translation model (target -> source): Hugging Face name or local folder"),
    src: str = typer.Option("en", "--src", help="Source language (the source pipeline's)"),
    tgt: str = typer.Option(..., "--tgt", help="Target language of INPUT: ISO 639 code (ha, hau) or the model's own (hau_Latn)"),
    lang: Optional[str] = typer.Option(None, "--lang", help="spaCy language of the pipeline (default: --tgt; 'xx' where spaCy has none)"),
    projector: str = typer.Option("codec", "--projector", help="codec, easyproject, statistical, simalign, awesome or tprojection: that method's projector block"),
    projector_config: Optional[Path] = typer.Option(None, "--projector-config", help="A config file with a [projector] block (as spacy xlt project --config)", exists=True, dir_okay=False),
    marker_model: Optional[str] = typer.Option(None, "--marker-model", help="The translator of a codec/easyproject projector (default: the EasyProject NLLB checkpoint)"),
    label_map: Optional[str] = typer.Option(None, "--label-map", help="Source label -> target label, e.g. PERSON=PER,GPE=LOC,ORG=ORG (default: OntoNotes/CoNLL -> PER/LOC/ORG)"),
    keep_unmapped: bool = typer.Option(False, "--keep-unmapped", help="Keep source labels the label map does not name (default: drop them)"),
    save_translation: bool = typer.Option(False, "--save-translation", help="Keep each Doc's translation and source predictions (spacy xlt visualize shows them)"),
    overrides: List[str] = typer.Option([], "--set", "-s", help=SET_HELP),
    batch_size: int = typer.Option(32, "--batch-size", "-b", help="Docs per batch (translated, tagged and projected together)"),
    chunk_size: int = typer.Option(256, "--chunk-size", help="Docs kept in the resume file per step"),
    num_beams: int = typer.Option(4, "--num-beams", help="Beam size of the translation"),
    max_new_tokens: int = typer.Option(256, "--max-new-tokens", help="Longest translation, in tokens"),
    max_length: int = typer.Option(256, "--max-length", help="Longest input the translator reads, in tokens"),
    device: Optional[str] = typer.Option(None, "--device", help="Device of every model (cpu, cuda, cuda:0 …)"),
    dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16 (the translator)"),
    backend: str = typer.Option("hf", "--backend", help="The translator's backend: hf (Hugging Face generate) or ct2 (CTranslate2: pip install spacy-xlt[ct2]; the model is converted when loaded)"),
    compute_type: str = typer.Option("default", "--compute-type", help="With --backend ct2: default, float32, int8, int8_float16, float16 or bfloat16"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU of spaCy's own models (the source pipeline, e.g. a transformer NER), or -1 for CPU; --device sets the translators'"),
    metrics_path: Optional[Path] = typer.Option(None, "--metrics", help="Score OUTPUT against INPUT's spans and write the JSON of `spacy xlt evaluate --output` here"),
    restart: bool = typer.Option(False, "--restart", help=RESTART_HELP),
) -> None:
    """Translate-test: translate each Doc into the source language, tag the translation with a
    source-language pipeline, project the spans back onto the Doc's own tokens.

    Resumable: finished chunks are kept in OUTPUT.partial.jsonl until OUTPUT is written;
    after a crash the same command continues after the last finished chunk (--restart starts
    over). A second run on the same output fails at once while one is going.
    """
    from spacy.cli._util import setup_gpu

    from ..io import check_output
    from ..resume import output_lock

    try:
        settings = parse_overrides(overrides)
        check_output(output_path, [input_path])
        setup_gpu(gpu_id)
        with output_lock(output_path):  # before the models load: a second run fails at once
            if saved is not None:
                nlp, pipe = load_component(saved, settings, device)
            else:
                nlp, pipe = build_component(
                    pipeline=pipeline, model=model, src=src, tgt=tgt, lang=lang, projector=projector,
                    projector_config=projector_config, marker_model=marker_model, label_map=_label_map(label_map),
                    keep_unmapped=keep_unmapped, save_translation=save_translation, batch_size=batch_size,
                    num_beams=num_beams, max_new_tokens=max_new_tokens, max_length=max_length, device=device,
                    dtype=dtype, backend=backend, compute_type=compute_type, overrides=settings,
                )  # fmt: skip
            job = translate_test_job(nlp, pipe, input_path, saved)
            result = translate_test_file(nlp, pipe, input_path, output_path, job=job, chunk_size=chunk_size, restart=restart, lock=False)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    report_resume(result, output_path)
    counts = result["counts"]
    rows = [
        ("docs", result["docs"]),
        ("source predictions", counts.get("source_predictions", 0)),
        ("dropped by the label map", counts.get("dropped_labels", 0)),
        ("projected", counts.get("projected", 0)),
        ("unaligned", counts.get("unaligned", 0)),
        ("lost in overlaps", counts.get("conflict", 0)),
    ]
    if counts.get("broken_markers"):
        rows.append(("broken markers (pairs)", counts["broken_markers"]))
    rows.append(("seconds", f"{result['seconds']:.1f}"))
    msg.table(rows, header=("", "count"), divider=True)
    if result["long_inputs"]:
        items = ", ".join(f"{key} {n}" for key, n in result["long_inputs"].items())
        msg.warn(f"Inputs longer than the translator's max_length: {items}")
    msg.good(f"Wrote {result['docs']} docs with {result['spans']} spans to {output_path}")
    if metrics_path is not None:
        from ..evaluation import evaluate_files
        from .evaluate import print_results, save_results

        try:
            scores = evaluate_files(input_path, output_path, modes=("strict", "default"))
        except XLTError as err:
            msg.fail(str(err), exits=1)
        print_results(scores, ("strict", "default"))
        save_results(scores, metrics_path)
