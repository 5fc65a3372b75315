"""spacy_xlt.io: atomic outputs that never destroy an input, and readers whose every failure
names the file (and the line and column where there is one)."""

import json
import os
import stat

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from spacy_xlt import io
from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import read_docs, write_docs
from spacy_xlt.projection.alignment import read_pharaoh, write_pharaoh
from spacy_xlt.sample import read_sample


def leftovers(folder):
    """Temporary files an output left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def docbin_bytes(n: int = 3) -> bytes:
    vocab = spacy.blank("xx").vocab
    return DocBin(docs=[Doc(vocab, words=["w", str(i)]) for i in range(n)]).to_bytes()


# --- atomic outputs --------------------------------------------------------------------------


def test_a_crash_inside_atomic_output_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    out = tmp_path / "out.spacy"
    out.write_bytes(b"the good old output")
    with pytest.raises(RuntimeError, match="killed"):
        with io.atomic_output(out) as tmp:
            assert tmp.parent == tmp_path and tmp != out
            tmp.write_bytes(b"half of the new")
            raise RuntimeError("killed while writing")
    assert out.read_bytes() == b"the good old output"
    assert leftovers(tmp_path) == []
    # a KeyboardInterrupt (Ctrl-C) too
    with pytest.raises(KeyboardInterrupt):
        with io.open_text_output(out) as f:
            f.write("half")
            raise KeyboardInterrupt
    assert out.read_bytes() == b"the good old output" and leftovers(tmp_path) == []


def test_a_crash_while_serialising_docs_keeps_the_old_docbin(tmp_path, monkeypatch):
    out = tmp_path / "corpus.spacy"
    out.write_bytes(docbin_bytes(2))
    before = out.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    # the rename is the last step: failing there is a run killed just before it
    monkeypatch.setattr(io.os, "replace", fail)
    vocab = spacy.blank("xx").vocab
    with pytest.raises(XLTError, match="XLTE343.*corpus.spacy.*disk full"):
        write_docs([Doc(vocab, words=["new"])], out)
    assert out.read_bytes() == before and leftovers(tmp_path) == []
    monkeypatch.undo()
    assert write_docs([Doc(vocab, words=["new"])], out) == 1
    assert [d[0].text for d in read_docs(out)] == ["new"]


def test_outputs_have_ordinary_permissions_and_keep_existing_ones(tmp_path):
    new = io.write_text(tmp_path / "new.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    old = tmp_path / "old.txt"
    old.write_text("old")
    old.chmod(0o640)
    io.write_text(old, "new")
    assert old.read_text() == "new" and stat.S_IMODE(old.stat().st_mode) == 0o640


def test_a_symlinked_output_is_written_through(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    io.write_json(link, {"a": 1})
    assert link.is_symlink() and json.loads(real.read_text()) == {"a": 1}


@pytest.mark.parametrize("spelling", ["same", "dot", "hard", "symlink", "parent"])
def test_an_output_that_is_an_input_is_refused(tmp_path, monkeypatch, spelling):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    src = tmp_path / "in.conll"
    src.write_text("Ada B-PER\n")
    out = {
        "same": "in.conll",
        "dot": "./in.conll",
        "hard": "hard.conll",
        "symlink": "link.conll",
        "parent": "sub/../in.conll",
    }[spelling]
    if spelling == "hard":
        os.link(src, tmp_path / out)
    if spelling == "symlink":
        (tmp_path / out).symlink_to(src)
    with pytest.raises(XLTError, match="XLTE340"):
        io.write_text(out, "destroyed", ["in.conll"])
    with pytest.raises(XLTError, match="XLTE340"):
        io.check_outputs([out], ["in.conll"])
    assert src.read_text() == "Ada B-PER\n"


def test_folders_and_files_in_the_way(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(XLTError, match="XLTE342.*is a folder; give a file"):
        io.write_text(tmp_path / "folder", "x")
    with pytest.raises(XLTError, match="XLTE341.*file is a file, not a folder"):
        io.write_text(tmp_path / "file" / "deeper" / "out.txt", "x")
    with pytest.raises(XLTError, match="XLTE342.*is a file; give a folder"):
        io.check_output_folder(tmp_path / "file")
    with pytest.raises(XLTError, match="XLTE348.*inside the input folder"):
        io.check_output_folder(tmp_path / "folder" / "out", [tmp_path / "folder"])
    with pytest.raises(XLTError, match="XLTE348.*the same folder"):
        io.check_output_folder(tmp_path / "folder" / ".", [tmp_path / "folder"])
    assert io.check_output_folder(tmp_path / "new" / "out", [tmp_path / "folder"]) == tmp_path / "new" / "out"
    assert (tmp_path / "file").read_text() == "x"


def test_streams_and_jsonl(tmp_path):
    out = tmp_path / "deep" / "x.jsonl"
    assert io.write_jsonl(out, [{"a": "é"}, [1, 2]]) == 2
    assert out.read_text("utf8") == '{"a": "é"}\n[1, 2]\n'
    with io.open_text_output(tmp_path / "lines.txt") as f:
        f.write("a\nb\n")
    assert (tmp_path / "lines.txt").read_bytes() == b"a\nb\n"


def test_write_pharaoh_is_atomic_and_never_over_its_input(tmp_path):
    pairs = tmp_path / "pairs.spacy"
    pairs.write_bytes(docbin_bytes())
    with pytest.raises(XLTError, match="XLTE340"):
        write_pharaoh(pairs, [[(0, 0)]], [pairs])
    assert pairs.read_bytes() == docbin_bytes()
    out = tmp_path / "align.txt"
    out.write_text("0-0\n")

    def links():
        yield [(0, 0), (1, 1)]
        raise RuntimeError("aligner crashed")

    with pytest.raises(RuntimeError):
        write_pharaoh(out, links())
    assert out.read_text() == "0-0\n" and leftovers(tmp_path) == []
    write_pharaoh(out, [[(1, 1), (0, 0)], []])
    assert out.read_text() == "0-0 1-1\n\n"


# --- readers ---------------------------------------------------------------------------------


def test_decode_text_names_line_and_column_in_characters(tmp_path):
    data = "first line\nñañá ".encode() + b"\xff rest\n"
    with pytest.raises(XLTError, match=r"XLTE028\] f.txt:2:6: not UTF-8 text \(byte 0xff\)"):
        io.decode_text(data, "f.txt")
    with pytest.raises(XLTError, match=r"f.txt:1:1:"):
        io.decode_text(b"\xef\xbb\xbf\xe9", "f.txt")  # the BOM is no column
    assert io.decode_text(b"\xef\xbb\xbfword O\n", "f.txt") == "word O\n"
    assert io.decode_text("\ufeffa\ufeffb".encode(), "f.txt") == "a\ufeffb"  # only a leading BOM


def test_binary_data_is_named_as_such(tmp_path):
    with pytest.raises(XLTError, match="XLTE346.*zlib-compressed, as a .spacy DocBin is"):
        io.decode_text(docbin_bytes(), "x.conll")
    with pytest.raises(XLTError, match="XLTE346.*UTF-16"):
        io.decode_text("word O\n".encode("utf-16"), "x.conll")
    with pytest.raises(XLTError, match="XLTE346.*NUL bytes"):
        io.decode_text(b"word\x00O\n", "x.conll")


def test_read_lines_and_read_json(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("\ufeffa\r\nb\u2028c\n\n".encode())
    assert io.read_lines(path) == ["a", "b\u2028c", ""]  # only \n ends a line
    js = tmp_path / "x.json"
    js.write_text('\ufeff{"a": 1}', encoding="utf8")
    assert io.read_json(js) == {"a": 1}
    js.write_text('{\n  "a": 1,\n}\n', encoding="utf8")
    with pytest.raises(XLTError, match=r"XLTE347\] .*x.json:3:1: not valid JSON"):
        io.read_json(js)
    with pytest.raises(XLTError, match="XLTE021"):
        io.read_text(tmp_path / "missing.txt")
    with pytest.raises(XLTError, match="XLTE027"):
        io.read_text(tmp_path)


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("x")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_bytes", denied)
    with pytest.raises(XLTError, match="XLTE345.*secret.txt: Permission denied"):
        io.read_text(path)
    with pytest.raises(XLTError, match="XLTE345"):
        io.read_docbin(path)


@pytest.mark.parametrize(
    "content,why",
    [
        (b"", "the file is empty"),
        ("half", "the file is truncated"),
        (b"Ada B-PER\n", "not zlib-compressed data"),
    ],
)
def test_read_docbin_errors(tmp_path, content, why):
    path = tmp_path / "bad.spacy"
    data = docbin_bytes(20)
    path.write_bytes(data[: len(data) // 2] if content == "half" else content)
    with pytest.raises(XLTError, match=f"XLTE344.*bad.spacy.*{why}"):
        io.read_docbin(path)
    with pytest.raises(XLTError, match="XLTE344"):
        list(read_docs(path))


def test_pharaoh_and_sample_readers_go_through_io(tmp_path):
    talp = tmp_path / "a.talp"
    talp.write_bytes(b"\xef\xbb\xbf0-0 1-1\r\n\n2-2\n")
    assert read_pharaoh(talp) == [[(0, 0), (1, 1)], [], [(2, 2)]]
    talp.write_bytes(b"0-0\n0-0 \xe91-1\n")
    with pytest.raises(XLTError, match=r"XLTE028\] .*a.talp:2:5:"):
        read_pharaoh(talp)
    sample = tmp_path / "s.jsonl"
    good = {"source": {"words": ["Ana"], "spans": [[0, 1, "PER"]]}, "target": {"words": ["Ana"], "spans": [[0, 1, "PER"]]}}
    sample.write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode() + b"\n" + json.dumps(good).encode() + b"\n\xe9\n")
    with pytest.raises(XLTError, match=r"XLTE028\] .*s.jsonl:3:1:"):
        read_sample(sample)
    sample.write_text(json.dumps(good) + "\n{bad\n", encoding="utf8")
    with pytest.raises(XLTError, match=r"XLTE200\] .*s.jsonl:2: invalid sample record: not JSON"):
        read_sample(sample)
    sample.write_text("\ufeff" + json.dumps(good) + "\n", encoding="utf8")
    assert len(read_sample(sample)) == 1
