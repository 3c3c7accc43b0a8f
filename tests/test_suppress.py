"""Inline suppressions: applied by the engine; unused and unknown ones are
reported (SV901, SV902) with a fix that removes them."""

import pytest

from support import lint_text

W = ("[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"
     "user=celery\nautorestart=true\nstopwaitsecs=600\nkillasgroup=true\numask=022\n")
# a second worker of its own node name, to sit beside W
W2 = W.replace("[program:worker]", "[program:other]").replace("worker\n", "worker -n b@%%h\n", 1)

CASES = [
    ("SV901", W.replace("umask=022", "umask=022  ; supervisor-lint: disable=SV206"), (8, 12),
     "warning", "this suppression of SV206 hides nothing; remove it"),
    ("SV902", W.replace("umask=022", "umask=000  ; supervisor-lint: disable=SV206,SV2O6"),
     (8, 12), "warning", "'SV2O6' in this suppression is no supervisor-lint rule code or name"),
]


@pytest.mark.parametrize("code,text,where,severity,message", CASES)
def test_suppression_rules(tmp_path, code, text, where, severity, message):
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == code]
    assert (d["line"], d["column"], d["severity"]) == where + (severity,)
    assert d["message"].startswith(message)


def codes(diags):
    return sorted((d["code"], d["line"]) for d in diags)


def test_inline_suppression_covers_the_key_and_its_continuation_lines(tmp_path):
    text = W.replace("umask=022", "umask=\n  000  ; supervisor-lint: disable=world-writable-umask")
    assert lint_text(text, tmp_path) == []
    assert codes(lint_text(text, tmp_path, args=["--disable-suppressions"])) == [("SV206", 8)]


def test_own_line_suppression_covers_the_next_section(tmp_path):
    text = "; supervisor-lint: disable=SV201,SV305\n" + W.replace("killasgroup=true\n", "").replace(
        "user=celery\n", "")
    assert lint_text(text, tmp_path) == []


def test_own_line_suppression_covers_the_next_key(tmp_path):
    text = W.replace("umask=022", "; supervisor-lint: disable=SV206\numask=000")
    assert lint_text(text, tmp_path) == []


def test_disable_enable_range(tmp_path):
    text = ("; supervisor-lint: disable=SV305\n" + W.replace("user=celery\n", "") +
            "; supervisor-lint: enable=SV305\n" + W2.replace("user=celery\n", ""))
    assert codes(lint_text(text, tmp_path)) == [("SV305", 10)]


def test_disable_file(tmp_path):
    text = "; supervisor-lint: disable-file=SV305\n" + W.replace("user=celery\n", "") + \
        W2.replace("user=celery\n", "")
    assert lint_text(text, tmp_path) == []
    assert codes(lint_text("; supervisor-lint: disable-file\n" + W.replace("umask=022", "umask=0"),
                           tmp_path)) == []


def test_suppressed_and_unused_in_one_run(tmp_path):
    text = W.replace("umask=022", "umask=000  ; supervisor-lint: disable=SV206") + \
        "stopsignal=INT  ; supervisor-lint: disable=SV404\n"
    assert codes(lint_text(text, tmp_path)) == [("SV901", 9)]


def test_unused_suppression_fix_removes_the_comment(tmp_path):
    text = W.replace("umask=022", "umask=022  ; supervisor-lint: disable=SV206")
    (d,) = lint_text(text, tmp_path)
    assert d["fix"]["applicability"] == "safe"
    (edit,) = d["fix"]["edits"]
    data = text.encode()
    assert (data[:edit["start"]] + edit["replacement"].encode() + data[edit["end"]:]).decode() == W


def test_own_line_unused_suppression_fix_removes_the_line(tmp_path):
    text = W + "; supervisor-lint: disable=SV206\n"
    (d,) = lint_text(text, tmp_path)
    (edit,) = d["fix"]["edits"]
    data = text.encode()
    assert data[:edit["start"]] + data[edit["end"]:] == W.encode()


def test_suppressions_of_unselected_rules_are_not_reported(tmp_path):
    text = W.replace("umask=022", "umask=022  ; supervisor-lint: disable=SV206")
    assert lint_text(text, tmp_path, args=["--ignore", "SV206"]) == []


def test_suppression_in_a_section_covers_its_section_level_findings(tmp_path):
    # SV201 reports a key the section lacks, on its header: a suppression on
    # any line of the section covers it, and --fix then adds nothing
    text = W.replace("killasgroup=true\n", "").replace(
        "worker\n", "worker  ; supervisor-lint: disable=SV201\n", 1)
    assert lint_text(text, tmp_path) == []


def test_enable_ends_only_the_codes_it_names(tmp_path):
    text = ("; supervisor-lint: disable=SV201,SV305\n" +
            W.replace("killasgroup=true\n", "").replace("user=celery\n", "") +
            "; supervisor-lint: enable=SV201\n" +
            W2.replace("killasgroup=true\n", "").replace("user=celery\n", "") +
            "; supervisor-lint: enable=SV305\n")
    # SV201 is back from line 8 on; SV305 stays off until its own enable
    assert codes(lint_text(text, tmp_path)) == [("SV201", 9)]


def test_enable_with_an_unknown_code_is_reported(tmp_path):
    text = "; supervisor-lint: disable=SV305\n" + W.replace("user=celery\n", "") + \
        "; supervisor-lint: enable=SV3O5\n"
    assert ("SV902", 9) in codes(lint_text(text, tmp_path))
