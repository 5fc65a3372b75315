"""Readable copies of the AbstRCT translations, repaired where the published files are broken.

    python scripts/repair.py DATA_DIR/abstrct OUT_DIR --translations es=deepl,fr=nllb,it=nllb

Reads ``<lang>/<translation>.<split>.tsv`` (``word TAG`` lines, space-separated, a blank line
between sentences) for each language and split and writes ``OUT_DIR/<lang>/<split>.tsv``
(``word<TAB>TAG``), which ``spacy xlt convert`` and ``spacy xlt pair`` read. Every repair is
printed with the file and line it was made at; a file that needs a repair this script does
not know stops it with the file and line, as the package's readers do. The repairs (the
defects of the published files, found with ``spacy xlt convert`` / ``spacy xlt pair``):

* a byte that is not UTF-8: the published ``fr/nllb.neoplasm_dev.tsv`` has 10 tokens that are
  the lone byte 0xC3, the first byte of ``à`` (0xC3 0xA0) whose second byte, a no-break
  space in Latin-1, was stripped as whitespace: each becomes ``à``. Any other undecodable
  byte is an error.
* a token holding a space (``plus jeunes I-Premise``): split into one token per word, all with
  the tag (``I-`` after a ``B-``);
* a line with a tag but no word (``I-Premise``): left out, there is no token to tag;
* spaces at the end of a line: stripped;
* a sentence split in two: the English ``neoplasm_train`` sentence 1,291 holds two sentences
  (a full stop glued to its last word, no sentence break), which the Italian translation
  ``it/nllb.neoplasm_train.tsv`` has as sentences 1,291 and 1,292 (4,405 sentences against
  4,404). They are joined (``--join it:neoplasm_train:1291``, 1-based: the sentence and the
  one after it), so sentence i is again the translation of English sentence i; the tags
  need nothing, the joined sentence reads O ... B-Premise ..., as the English one does.
  A join is refused unless the file then has as many sentences as the English one.
"""

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Tuple

SPLITS = ("neoplasm_train", "neoplasm_dev", "glaucoma_test", "mixed_test")
#: the published defects: (lang, split) -> 1-based sentences joined with the next one
JOINS = "it:neoplasm_train:1291"
#: a lone lead byte whose continuation byte (a no-break space in Latin-1) was stripped
LOST_CONTINUATION = {b"\xc3": "\u00e0"}  # à

Sentence = List[Tuple[str, str]]


class RepairError(Exception):
    pass


def read_sentences(path: Path, log: List[str]) -> List[Sentence]:
    sentences: List[Sentence] = []
    current: Sentence = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf8")
        except UnicodeDecodeError as err:
            word, sep, tag = raw.rstrip().rpartition(b" ")
            if sep and word in LOST_CONTINUATION:
                line = f"{LOST_CONTINUATION[word]} {tag.decode('utf8')}"
                log.append(f"{where}: byte 0x{word.hex()} is not UTF-8: read as {LOST_CONTINUATION[word]!r}")
            else:
                raise RepairError(f"{where}:{err.start + 1}: not UTF-8 ({err.reason})") from None
        if line != line.rstrip():
            if line.strip():
                log.append(f"{where}: spaces at the end of the line stripped")
            line = line.rstrip()
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        parts = line.split(" ")
        if len(parts) == 1:
            log.append(f"{where}: a tag with no word ({line!r}): line left out")
            continue
        *words, tag = parts
        if not tag.startswith(("B-", "I-")) and tag != "O":
            raise RepairError(f"{where}: {tag!r} is not an IOB2 tag")
        if not all(words):
            raise RepairError(f"{where}: an empty word in {line!r}")
        if len(words) > 1:
            log.append(f"{where}: the token {' '.join(words)!r} holds a space: split into {len(words)} tokens")
        for i, word in enumerate(words):
            current.append((word, "I-" + tag[2:] if i and tag.startswith("B-") else tag))
    if current:
        sentences.append(current)
    return sentences


def parse_joins(spec: str) -> Dict[Tuple[str, str], List[int]]:
    joins: Dict[Tuple[str, str], List[int]] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        lang, split, number = item.split(":")
        joins.setdefault((lang, split), []).append(int(number))
    return joins


def join_sentences(sentences: List[Sentence], numbers: List[int], n_source: int, where: str, log: List[str]) -> List[Sentence]:
    if len(sentences) - len(numbers) != n_source:
        raise RepairError(
            f"{where}: {len(sentences)} sentences; joining {len(numbers)} would leave "
            f"{len(sentences) - len(numbers)}, not the {n_source} of the English file"
        )
    out = list(sentences)
    for number in sorted(numbers, reverse=True):
        i = number - 1
        out[i : i + 2] = [out[i] + out[i + 1]]
        log.append(f"{where}: sentences {number} and {number + 1} joined (the English sentence {number} holds both)")
    return out


def count_sentences(path: Path) -> int:
    return len(read_sentences(path, []))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the abstrct folder: en/, es/, fr/, it/")
    parser.add_argument("out", type=Path)
    parser.add_argument("--translations", default="es=deepl,fr=nllb,it=nllb", help="LANG=TRANSLATION,...")
    parser.add_argument("--langs", default=None, help="only these languages (default: every one of --translations)")
    parser.add_argument("--join", default=JOINS, help="LANG:SPLIT:N,... join sentence N (1-based) with the next")
    args = parser.parse_args(argv)
    translations = dict(item.split("=") for item in args.translations.split(",") if item)
    langs = translations if args.langs is None else [x for x in args.langs.split(",") if x]
    joins = parse_joins(args.join)
    try:
        for lang in langs:
            mt = translations[lang]
            for split in SPLITS:
                path = args.data / lang / f"{mt}.{split}.tsv"
                log: List[str] = []
                sentences = read_sentences(path, log)
                if (lang, split) in joins:
                    n_source = count_sentences(args.data / "en" / f"{split}.tsv")
                    sentences = join_sentences(sentences, joins[(lang, split)], n_source, str(path), log)
                out = args.out / lang / f"{split}.tsv"
                out.parent.mkdir(parents=True, exist_ok=True)
                text = "\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n"
                tmp = out.with_name(out.name + ".tmp")
                tmp.write_text(text, encoding="utf8")
                tmp.replace(out)
                for line in log:
                    print(f"  repaired {line}")
                print(f"{path} -> {out}: {len(sentences)} sentences, {len(log)} repairs")
    except (RepairError, KeyError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
