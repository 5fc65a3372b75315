"""``spacy xlt project`` and ``spacy xlt align``: project the source spans of parallel pairs
onto their targets, or write the word alignments themselves in Pharaoh format.

Thin drivers: the aligner comes from a registered function (built here from the CLI
options, or from a config file the user writes) and the projection from the
``xlt_alignment_projector`` component.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli

ALIGNER_METHODS = ("statistical", "simalign", "awesome")
METHODS = ALIGNER_METHODS + ("alignments", "tprojection")
DEFAULT_ENCODERS = {"simalign": "bert-base-multilingual-cased", "awesome": "bert-base-multilingual-cased"}


def aligner_config(
    method: str,
    *,
    model: Optional[str] = None,
    layer: int = 8,
    device: str = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    simalign_method: str = "itermax",
    threshold: float = 1e-3,
    seed: int = 0,
) -> Dict[str, Any]:
    """The ``aligner`` config block that the CLI options of ``project``/``align`` stand for."""
    if method not in ALIGNER_METHODS:
        raise XLTError(Errors.E221.format(method=method, options=", ".join(ALIGNER_METHODS)))
    if method == "statistical":
        return {"@misc": "spacy_xlt.StatisticalAligner.v1", "seed": seed}
    encoder = {
        "@misc": "spacy_xlt.HFEncoder.v1",
        "name_or_path": model or DEFAULT_ENCODERS[method],
        "layer": layer,
        "device": device,
        "dtype": dtype,
        "batch_size": batch_size,
    }
    if method == "simalign":
        return {"@misc": "spacy_xlt.SimAlignAligner.v1", "encoder": encoder, "method": simalign_method}
    return {"@misc": "spacy_xlt.AwesomeAligner.v1", "encoder": encoder, "threshold": threshold}


def build_projector(lang: str, aligner: Dict[str, Any], **settings):
    """A blank ``lang`` pipeline holding one ``xlt_alignment_projector``."""
    from .. import util
    from ..pipes import alignment_projector  # noqa: F401  (registers the factory)

    nlp = util.blank(lang)
    nlp.add_pipe("xlt_alignment_projector", config={"aligner": aligner, **settings})
    return nlp


def project_pairs(
    pairs_path: Path,
    output_path: Path,
    *,
    method: str = "statistical",
    alignments_path: Optional[Path] = None,
    lang: str = "xx",
    spans_key: Optional[str] = None,
    save_alignments: bool = False,
    **aligner_options,
) -> dict:
    """Project every pair of ``pairs_path`` and write the projected pairs; returns counts."""
    from ..pairs import read_docs, write_pairs

    if method not in METHODS:
        raise XLTError(Errors.E221.format(method=method, options=", ".join(METHODS)))
    if method == "tprojection":
        from .tprojection import project_tprojection

        return project_tprojection(
            pairs_path, output_path, lang=lang, spans_key=spans_key, save_alignments=save_alignments, **aligner_options
        )
    settings = {"spans_key": spans_key, "save_alignments": save_alignments}
    if method == "alignments":
        if alignments_path is None:
            raise XLTError(Errors.E222)
        # the aligner is unused: the projector is only asked to project given alignments
        nlp = build_projector(lang, aligner_config("statistical"), **settings)
    else:
        nlp = build_projector(lang, aligner_config(method, **aligner_options), **settings)
    projector = nlp.get_pipe("xlt_alignment_projector")
    docs = list(read_docs(pairs_path, nlp.vocab))
    start = time.perf_counter()
    if method == "alignments":
        from ..projection.alignment import read_pharaoh

        alignments = read_pharaoh(alignments_path)
        projected = projector.project(docs, alignments)
    else:
        # one batch: statistical aligners learn from all the pairs they align
        projected = list(projector.pipe(docs, batch_size=max(1, len(docs))))
    seconds = time.perf_counter() - start
    write_pairs(projected, output_path)
    return {"pairs": len(projected), "seconds": seconds, **dict(projector.stats)}


def _method_help() -> str:
    return "statistical (no download), simalign, awesome, alignments (with --alignments FILE), or tprojection (with --generator)"


@xlt_cli.command("project")
def project_cli(
    pairs_path: Path = typer.Argument(..., help="Parallel pairs (.spacy), e.g. from `spacy xlt pair`", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output .spacy: the pairs with projected target spans"),
    method: str = typer.Option("statistical", "--method", "-m", help=_method_help()),
    alignments_path: Optional[Path] = typer.Option(None, "--alignments", "-a", help="Pharaoh file (i-j links), one line per pair, for --method alignments", exists=True, dir_okay=False),
    model: Optional[str] = typer.Option(None, "--model", help="Encoder for simalign/awesome: Hugging Face name or local folder"),
    layer: int = typer.Option(8, "--layer", help="Encoder layer whose hidden states are compared"),
    simalign_method: str = typer.Option("itermax", "--simalign-method", help="argmax, itermax or match"),
    threshold: float = typer.Option(1e-3, "--threshold", help="Softmax threshold for awesome"),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:0 ..."),
    dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16"),
    batch_size: int = typer.Option(32, "--batch-size", help="Encoder batch size (sentences)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the statistical aligner"),
    lang: str = typer.Option("xx", "--lang", help="Target language (spaCy code) of the pipeline"),
    spans_key: Optional[str] = typer.Option(None, "--spans-key", help="Span group to read and write (default: doc.ents)"),
    save_alignments: bool = typer.Option(False, "--save-alignments", help="Keep each pair's alignment on the Doc"),
    generator: Optional[str] = typer.Option(None, "--generator", help="tprojection: fine-tuned generator (HF folder/name) or a saved pipeline with xlt_tprojection; --model is then the translator (default NLLB-200 600M)"),
    num_beams: int = typer.Option(16, "--num-beams", help="tprojection: candidate sequences per pair"),
    tgt_lang: Optional[str] = typer.Option(None, "--tgt-lang", help="tprojection: target language for the translator (ISO 639 or model code; default --lang)"),
    agglutinative: bool = typer.Option(False, "--agglutinative", help="tprojection: also match candidate words inside target words"),
    gold_path: Optional[Path] = typer.Option(None, "--gold", help="Gold target annotations (.spacy/CoNLL) to score the projection against", exists=True, dir_okay=False),
    metrics_path: Optional[Path] = typer.Option(None, "--metrics", help="With --gold: write the scores as JSON here (the file of spacy xlt evaluate --output)"),
):
    """Project the source spans of parallel pairs onto their target tokens."""
    if metrics_path is not None and gold_path is None:
        msg.fail(Errors.E099.format(option="--metrics", needs="--gold"), exits=1)
    try:
        counts = project_pairs(
            pairs_path,
            output_path,
            method=method,
            alignments_path=alignments_path,
            lang=lang,
            spans_key=spans_key,
            save_alignments=save_alignments,
            **(
                {}
                if method == "alignments"
                else dict(
                    model=model,
                    layer=layer,
                    device=device,
                    dtype=dtype,
                    batch_size=batch_size,
                    simalign_method=simalign_method,
                    threshold=threshold,
                    seed=seed,
                    **(
                        dict(generator=generator, num_beams=num_beams, target_lang=tgt_lang, agglutinative=agglutinative)
                        if method == "tprojection"
                        else {}
                    ),
                )
            ),
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    print_counts(counts)
    msg.good(f"Wrote {counts['pairs']} projected pairs to {output_path}")
    if gold_path is not None:
        from ..evaluation import evaluate_files
        from .evaluate import print_results, save_results

        result = evaluate_files(gold_path, output_path, lang=lang, spans_key=spans_key)
        print_results(result, ("strict", "default"))
        if metrics_path is not None:
            save_results(result, metrics_path)


def print_counts(counts: dict) -> None:
    n = counts.get("source_spans", 0)
    rows: List[tuple] = [
        ("pairs", counts["pairs"]),
        ("source spans", n),
        ("projected", counts.get("projected", 0)),
        ("unaligned", counts.get("unaligned", 0)),
        ("lost in overlaps", counts.get("conflict", 0)),
        ("seconds", f"{counts['seconds']:.1f}"),
    ]
    msg.table(rows, header=("", "count"), divider=True)


@xlt_cli.command("align")
def align_cli(
    pairs_path: Path = typer.Argument(..., help="Parallel pairs (.spacy)", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output Pharaoh file: one line of i-j links per pair"),
    method: str = typer.Option("statistical", "--method", "-m", help="statistical, simalign or awesome"),
    model: Optional[str] = typer.Option(None, "--model", help="Encoder for simalign/awesome"),
    layer: int = typer.Option(8, "--layer"),
    simalign_method: str = typer.Option("itermax", "--simalign-method"),
    threshold: float = typer.Option(1e-3, "--threshold"),
    device: str = typer.Option("cpu", "--device"),
    dtype: str = typer.Option("float32", "--dtype"),
    batch_size: int = typer.Option(32, "--batch-size"),
    seed: int = typer.Option(0, "--seed"),
):
    """Word-align parallel pairs and write the alignments in Pharaoh format."""
    from spacy.util import registry

    from ..pairs import read_docs, source_words
    from ..projection.alignment import write_pharaoh

    try:
        config = aligner_config(
            method,
            model=model,
            layer=layer,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            simalign_method=simalign_method,
            threshold=threshold,
            seed=seed,
        )
        aligner = registry.resolve({"aligner": config})["aligner"]
        docs = list(read_docs(pairs_path))
        pairs = [(source_words(doc, i), [t.text for t in doc]) for i, doc in enumerate(docs)]
        alignments = aligner.align(pairs)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    write_pharaoh(output_path, alignments)
    msg.good(f"Wrote {len(alignments)} alignments to {output_path}")
