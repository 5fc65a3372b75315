"""Parallel pairs: a target-language Doc that carries its source sentence and source spans.

The target Doc is the one a projector writes to, so it is the Doc that is stored; the source
side travels as plain data in ``doc.user_data`` (so one DocBin with ``store_user_data=True``
round-trips the pair) and is exposed as a Doc through the ``Doc._.xlt_source`` extension.

Pair files are spaCy's own DocBin layout, unchanged: the per-Doc user data is msgpack bytes
in the DocBin's ``"user_data"`` list, so ``DocBin().from_disk`` and ``spacy train`` read a
pairs file, source side and projection records included, and every pairs file written
before reads as it did. What differs is the speed: spaCy packs and unpacks each Doc's user
data with ``srsly.msgpack_dumps``/``msgpack_loads``, which build a new msgpack packer or
decoder per Doc (and with it scan the entry points of srsly's encoder and decoder registries);
:func:`docs_to_bytes` and :func:`read_docs` build one packer and one decoder per file and
stream every Doc's user data through it (the same options, hence the same bytes and the same
values: lists read back as tuples, as spaCy reads them).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab
from srsly import msgpack

from .errors import Errors, XLTError
from .labels import TokenSpan, check_spans
from .usererrors import message_reader

SOURCE_KEY = "xlt_source"
PAIR_FORMAT_VERSION = 1
#: Where a projector leaves what it did with each pair's source spans (``"method"``,
#: ``"unaligned"``, ``"conflicts"`` as ``[start, end, label]`` lists, and what it saves on
#: request); written by ``spacy_xlt.pipes.util.projection_record``, read by ``visualize``.
PROJECTION_KEY = "xlt_projection"


def doc_spans(doc: Doc, spans_key: Optional[str] = None) -> List[TokenSpan]:
    """The labelled spans of ``doc``: its entities, or the span group ``spans_key``."""
    spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
    return sorted(TokenSpan(s.start, s.end, s.label_) for s in spans)


def set_doc_spans(doc: Doc, spans: Iterable[TokenSpan], spans_key: Optional[str] = None) -> Doc:
    """Write ``spans`` to ``doc.ents`` (replacing them) or to the span group ``spans_key``."""
    objs = [Span(doc, s.start, s.end, label=s.label) for s in spans]
    if spans_key is None:
        doc.ents = objs
    else:
        doc.spans[spans_key] = objs
    return doc


def make_pair(
    source: Doc,
    target: Doc,
    *,
    source_lang: Optional[str] = None,
    spans_key: Optional[str] = None,
) -> Doc:
    """Attach ``source`` (its words, spacing and spans) to ``target`` and return ``target``."""
    spans = doc_spans(source, spans_key)
    target.user_data[SOURCE_KEY] = {
        "version": PAIR_FORMAT_VERSION,
        "lang": source_lang or source.lang_,
        "words": [t.text for t in source],
        "spaces": [bool(t.whitespace_) for t in source],
        "spans": [[s.start, s.end, s.label] for s in spans],
        "spans_key": spans_key,
    }
    return target


def has_source(doc: Doc) -> bool:
    return SOURCE_KEY in doc.user_data


def _record(doc: Doc, index: Optional[int]) -> dict:
    record = doc.user_data.get(SOURCE_KEY)
    if record is None:
        raise XLTError(Errors.E042.format(index="?" if index is None else index))
    return record


def source_spans(doc: Doc, index: Optional[int] = None) -> List[TokenSpan]:
    """The source side's spans of a pair, checked against its words."""
    record = _record(doc, index)
    words = record["words"]
    try:
        spans = [TokenSpan(int(s), int(e), str(lab)) for s, e, lab in record["spans"]]
    except (TypeError, ValueError) as err:
        raise XLTError(Errors.E043.format(index=index, why=err)) from err
    return check_spans(spans, len(words), record=f"source of doc {index}")


def source_words(doc: Doc, index: Optional[int] = None) -> List[str]:
    return list(_record(doc, index)["words"])


def source_lang(doc: Doc) -> Optional[str]:
    return _record(doc, None).get("lang")


def get_source(doc: Doc, vocab: Optional[Vocab] = None, index: Optional[int] = None) -> Doc:
    """The source side of a pair as a Doc, with its spans set as in the original (a new Doc
    at each call: ``doc._.xlt_source`` builds it when asked for, never when a file is read)."""
    record = _record(doc, index)
    src = Doc(vocab or doc.vocab, words=record["words"], spaces=record["spaces"])
    return set_doc_spans(src, source_spans(doc, index), record.get("spans_key"))


def _source_getter(doc: Doc) -> Optional[Doc]:
    return get_source(doc) if has_source(doc) else None


if not Doc.has_extension(SOURCE_KEY):
    Doc.set_extension(SOURCE_KEY, getter=_source_getter)


def docs_to_bytes(docs: Sequence[Doc]) -> bytes:
    """The bytes of a ``.spacy`` file (DocBin) holding ``docs``: what
    ``DocBin(docs=docs, store_user_data=True).to_bytes()`` gives, byte for byte, with every
    Doc's user data packed by one msgpack packer instead of a new one per Doc. User data is
    stored only where some Doc has it (a plain corpus is a plain DocBin)."""
    db = DocBin(docs=docs)  # store_user_data=False: DocBin.add packs no user data itself
    if any(doc.user_data for doc in docs):
        packer = msgpack.Packer(use_bin_type=True)  # srsly's encoders, chained once
        db.user_data = [packer.pack(doc.user_data) for doc in docs]
        db.store_user_data = True
    return db.to_bytes()


def write_docs(
    docs: Iterable[Doc], path: Union[str, Path], inputs: Iterable[Optional[Union[str, Path]]] = ()
) -> int:
    """Write Docs (pairs or plain) to one ``.spacy`` file, atomically (``spacy_xlt.io``: the
    old file stays whole until the new one is complete; ``path`` must not be one of
    ``inputs``); returns the number written.

    The file is a DocBin spaCy reads as its own (:func:`docs_to_bytes`), user data included.
    """
    from .io import check_output, write_bytes

    check_output(path, inputs)  # before the Docs are serialised
    docs = list(docs)
    write_bytes(path, docs_to_bytes(docs), inputs)
    return len(docs)


def write_pairs(
    docs: Iterable[Doc], path: Union[str, Path], inputs: Iterable[Optional[Union[str, Path]]] = ()
) -> int:
    """Write pairs to one ``.spacy`` file (as :func:`write_docs`); returns the number written."""
    return write_docs(docs, path, inputs)


def _user_data(
    blobs: Sequence[Optional[bytes]], path: Union[str, Path]
) -> Iterator[Optional[dict]]:
    """The user data of a DocBin's Docs, in order (``None`` for a Doc without), decoded by one
    msgpack decoder (srsly's decoders chained once) with the options of spaCy's
    ``DocBin.get_docs``; bytes that do not decode to exactly one dict are a coded error naming
    the file and the Doc."""
    unpacker = msgpack.Unpacker(raw=False, use_list=False, max_buffer_size=0)
    feed, unpack, tell = unpacker.feed, unpacker.unpack, unpacker.tell
    fed = 0
    for index, blob in enumerate(blobs):
        if blob is None:
            yield None
            continue
        try:
            feed(blob)
            data = unpack()
        except Exception as err:  # msgpack's errors for damaged bytes, a blob that is no bytes
            why = f"{type(err).__name__}: {err}"
            raise XLTError(Errors.E430.format(path=path, index=index, why=why)) from None
        fed += len(blob)
        if tell() != fed:
            why = f"{fed - tell()} bytes after its data"
            raise XLTError(Errors.E430.format(path=path, index=index, why=why))
        if type(data) is not dict:
            why = f"a {type(data).__name__}, not a dict"
            raise XLTError(Errors.E430.format(path=path, index=index, why=why))
        yield data


def _take_user_data(db: DocBin) -> List[Optional[bytes]]:
    """The DocBin's per-Doc user-data bytes, taken out of it so that ``db.get_docs`` does not
    decode them one ``srsly.msgpack_loads`` at a time (:func:`_user_data` does)."""
    blobs = list(db.user_data)
    db.user_data = []
    return blobs


def _get_docs(
    db: DocBin, blobs: Sequence[Optional[bytes]], vocab: Vocab, path: Union[str, Path]
) -> Iterator[Doc]:
    user_data = itertools.chain(_user_data(blobs, path), itertools.repeat(None))
    for doc, data in zip(db.get_docs(vocab), user_data):
        if data:
            doc.user_data.update(data)
        yield doc


def read_docs(path: Union[str, Path], vocab: Optional[Vocab] = None) -> Iterator[Doc]:
    """Docs of a ``.spacy`` file, each with its user data (pairs keep their source side and
    projection records); any DocBin reads, pair files of every version included. A missing,
    empty, truncated or foreign file is a coded error naming it (``spacy_xlt.io.read_docbin``),
    and so is a Doc's damaged user data (XLTE430)."""
    from .io import read_docbin

    db = read_docbin(path)
    yield from _get_docs(db, _take_user_data(db), vocab or Vocab(), path)


def read_target_lines(path: Union[str, Path]) -> List[str]:
    """Lines of a plain-text target file (one sentence per line, trailing newline optional;
    a BOM dropped; not UTF-8 is an error naming the line and column)."""
    from .io import read_lines

    return read_lines(path)


def build_pairs(
    sources: Sequence[Doc],
    targets: Sequence[Union[str, Doc]],
    tokenizer,
    *,
    source_name: str = "source",
    target_name: str = "target",
    skip_empty: bool = False,
    spans_key: Optional[str] = None,
    source_lang: Optional[str] = None,
) -> Tuple[List[Doc], int]:
    """Pair each source Doc with its target (a string, tokenized by ``tokenizer``, or a Doc).

    Returns the pairs and the number of pairs skipped because the target was empty (only
    with ``skip_empty``; otherwise an empty target is an error naming its line).
    """
    if len(sources) != len(targets):
        raise XLTError(
            Errors.E040.format(n_src=len(sources), src=source_name, n_tgt=len(targets), tgt=target_name)
        )
    pairs: List[Doc] = []
    skipped = 0
    for i, (src, tgt) in enumerate(zip(sources, targets)):
        text = tgt.text if isinstance(tgt, Doc) else tgt
        if not text.strip():
            if skip_empty:
                skipped += 1
                continue
            raise XLTError(Errors.E041.format(path=target_name, line=i + 1, index=i, src_text=src.text[:60]))
        tgt_doc = tgt if isinstance(tgt, Doc) else tokenizer(text)
        pairs.append(make_pair(src, tgt_doc, source_lang=source_lang, spans_key=spans_key))
    return pairs, skipped


@registry.readers("spacy_xlt.PairCorpus.v1")
@message_reader
def create_pair_corpus(path: Path, limit: int = 0) -> Callable[[Language], Iterator[Example]]:
    """Examples from a ``.spacy`` file of gold pairs whose *predicted* Doc keeps the source
    side (spaCy's ``Corpus`` re-tokenizes and loses ``user_data``): a dev corpus for
    projection components under ``spacy train``. The file is read when the reader is made,
    so a bad one stops ``spacy train`` with its coded message before training starts."""
    from .io import read_docbin

    db = read_docbin(path)
    blobs = _take_user_data(db)

    def read(nlp: Language) -> Iterator[Example]:
        for i, doc in enumerate(_get_docs(db, blobs, nlp.vocab, path)):
            if limit and i >= limit:
                break
            predicted = Doc(
                nlp.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc]
            )
            if SOURCE_KEY in doc.user_data:
                predicted.user_data[SOURCE_KEY] = doc.user_data[SOURCE_KEY]
            yield Example(predicted, doc)

    return read


def replace_source_spans(
    doc: Doc,
    spans: Iterable[TokenSpan],
    spans_key: Optional[str] = None,
    index: Optional[int] = None,
) -> Doc:
    """Give the pair ``doc`` new source spans (checked against its source words), e.g. a
    source pipeline's predictions for translate-test; ``spans_key`` is where they now live on
    the source side (null: its entities). The target side is left as it is, and the pair's
    projection record goes: it described what became of the old source spans."""
    record = _record(doc, index)
    checked = check_spans(spans, len(record["words"]), record=f"source of doc {index}")
    doc.user_data[SOURCE_KEY] = {
        **record,
        "spans": [[s.start, s.end, s.label] for s in checked],
        "spans_key": spans_key,
    }
    doc.user_data.pop(PROJECTION_KEY, None)
    return doc
