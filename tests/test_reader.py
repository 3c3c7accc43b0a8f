"""The reader is lossless and sees what configparser (as supervisor sets it up) sees."""

import configparser
import io

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from supervisor_lint import reader
from supervisor_lint.model import Tree


def stdlib_view(text):
    """supervisor's parser: RawConfigParser(inline_comment_prefixes=(';', '#'),
    strict=False), read from a text stream with universal newlines."""
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    parser.read_file(io.StringIO(text, newline=None))
    return ({s: dict(parser.items(s)) for s in parser.sections()}, dict(parser.defaults()))


def reader_view(text):
    doc = reader.parse(text.encode("utf-8"), "x.conf")
    tree = Tree("/tmp")
    tree.add(doc)
    sections = {s: {k: v.value for k, v in tree.items(s)} for s in tree.sections}
    return doc, sections, {k: v.value for k, v in tree.defaults.items()}


LINES = st.sampled_from([
    "[program:a]", "[program:b]", "[DEFAULT]", "[ x ]", "[a]]", "[]", "[unclosed",
    "command=/bin/echo a", "command = x ; comment", "command=x;y", "k: v", "K=V", "=v",
    "  continued", "\tcontinued", "  [program:c]", "  autostart=true", "; comment",
    "  # indented comment", "", "   ", "no delimiter", "a=b #c", "a=b#c", "a=\"x ; y\"",
    "x = ;y", "a=b ;c #d", "a=x;y ;z #w", "key=é", "  ;", "#", "a==b", "a:=b", " a=1",
])
EOL = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


@st.composite
def configs(draw):
    lines = draw(st.lists(st.tuples(LINES, EOL), max_size=14))
    text = "".join(a + b for a, b in lines)
    if draw(st.booleans()):
        text = "[program:a]\n" + text
    if draw(st.booleans()) and text.endswith(("\n", "\r")):
        text = text.rstrip("\r\n")
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_semantic_view_equals_configparser(text):
    doc, sections, defaults = reader_view(text)
    try:
        expected_sections, expected_defaults = stdlib_view(text)
    except (configparser.MissingSectionHeaderError, configparser.ParsingError):
        assert doc.fatal, "configparser refuses %r but the reader does not" % text
        return
    assert not doc.fatal, "configparser accepts %r but the reader refuses it" % text
    assert sections == expected_sections
    assert defaults == expected_defaults


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=:;#[] \t\r\n\"%é\x00\x85\u2028")), max_size=80))
def test_semantic_view_on_arbitrary_text(text):
    test_semantic_view_equals_configparser.hypothesis.inner_test(text)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_round_trip_is_byte_exact(data):
    assert reader.parse(data, "x").emit() == data


@pytest.mark.parametrize("data", [
    b"", b"\n", b"\xef\xbb\xbf[program:a]\r\ncommand=x", b"[a]\rk=v\r", b"\xff\xfe[a]\n",
    b"[a]\nk=v\n  more\n\n  after blank\n", b"\x00\x00\n",
])
def test_round_trip_examples(data):
    assert reader.parse(data, "x").emit() == data


def test_positions_of_key_value_and_header():
    doc = reader.parse("; c\n[program:é]\n  \ncommand = /bin/x ; note\n".encode(), "p")
    block = doc.blocks[0]
    assert (block.line.number, block.name_span.start.column, block.name_span.start.offset) == (2, 2, 5)
    entry = doc.entries[0]
    assert entry.key == "command" and entry.value == "/bin/x"
    assert (entry.key_span.start.line, entry.key_span.start.column) == (4, 1)
    # the line starts at byte 4 + len('[program:é]\n') (é is 2 bytes) + 3 = 20
    assert entry.line.offset == 20
    assert (entry.value_span.start.column, entry.value_span.start.offset) == (11, 30)
    assert (entry.value_span.end.column, entry.value_span.end.offset) == (17, 36)
    assert entry.line.comment == "; note\n"[:-1]


def test_continuation_and_blank_lines_join_like_configparser():
    doc = reader.parse(b"[a]\nk=1\n\n  2\n\n", "p")
    (entry,) = doc.entries
    assert entry.value == "1\n\n2"
    assert [l.number for l in entry.continuations] == [3, 4, 5]


def test_quirk_later_semicolon_survives_when_hash_qualifies_first():
    # configparser looks at the k-th occurrence of each prefix per round:
    # ';' at 3 does not qualify, '#' at 9 does, so ' ;z' stays in the value.
    _, sections, _ = reader_view("[a]\na=x;y ;z #w\n")
    assert sections["a"]["a"] == "x;y ;z"
    assert stdlib_view("[a]\na=x;y ;z #w\n")[0]["a"]["a"] == "x;y ;z"


def test_bom_is_recorded_and_not_part_of_line_one():
    doc = reader.parse(b"\xef\xbb\xbf[a]\nk=v\n", "p")
    assert doc.bom and doc.blocks[0].name == "a" and doc.blocks[0].line.offset == 3


def test_undecodable_byte_is_located():
    doc = reader.parse(b"[a]\nk=caf\xe9\n", "p")
    assert doc.decode_error == (2, 5, 9)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=: \t\u00a0\x0b\x1c")), max_size=30))
def test_option_split_equals_configparser_regex(text):
    import re
    value = text.strip()
    optcre = re.compile(configparser.RawConfigParser._OPT_TMPL.format(delim="=|:"), re.VERBOSE)
    mo = optcre.match(value)
    doc = reader.parse(("[s]\n" + value).encode(), "p")
    if not value or mo is None:
        assert not doc.entries
    else:
        (entry,) = doc.entries
        assert (entry.raw_key, entry.delimiter, entry.value_start, entry.value) == (
            mo.group("option"), mo.group("vi"), mo.start("value"), mo.group("value").strip())


def test_long_line_with_whitespace_run_is_linear():
    # configparser's own OPTCRE backtracks quadratically here; the reader must not
    data = b"[a]\nk" + b" " * 200000 + b"x=1\n"
    doc = reader.parse(data, "p")
    assert doc.entries[0].key == "k" + " " * 200000 + "x"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AB=,\"' \t\n\r$@#:/.-_é\x0b?")), max_size=25))
def test_environment_tokens_equal_shlex(text):
    import shlex
    from supervisor_lint import environment
    lexer = shlex.shlex(text)
    lexer.wordchars += "/.+-():"
    try:
        expected = list(lexer)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)):
            environment.tokens(text)
        return
    assert environment.tokens(text) == expected


def _corpus():
    from support import CORPUS
    import os
    if not os.path.isdir(CORPUS):
        return []
    return [os.path.join(CORPUS, n) for n in sorted(os.listdir(CORPUS))
            if n.endswith((".conf", ".ini"))]


@pytest.mark.skipif(not _corpus(), reason="../shared/corpus/real is absent")
def test_reader_equals_configparser_on_the_corpus():
    for path in _corpus():
        with open(path, "rb") as fh:
            data = fh.read()
        assert reader.parse(data, path).emit() == data, path
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            continue
        test_semantic_view_equals_configparser.hypothesis.inner_test(text)


def _marked(doc):
    """The entries Document.marked must hold, by its definition, in file order."""
    return [e for e in doc.entries if ";" in e.line.text or "#" in e.line.text
            or e.raw_key.startswith("[") or e.continuations]


@settings(max_examples=400, deadline=None)
@given(st.one_of(configs(), st.text(alphabet=st.sampled_from(list("ab=:;#[] \t\r\n\"")),
                                    max_size=80)))
def test_marked_entries_are_exactly_those_the_line_checks_need(text):
    doc = reader.parse(text.encode("utf-8", "surrogateescape"), "x")
    assert doc.marked == _marked(doc)


def test_marked_entries_examples():
    doc = reader.parse(b"[a]\nk=v\nc=x ; note\nd=y\n  more\n[b:x\ne=1#2\n\nf=2\n", "x")
    assert [e.key for e in doc.marked] == ["c", "d", "[b", "e"]
