"""The command line: output formats, exit status, file discovery, and inputs
that must never produce a traceback or a hang."""

import io
import json
import os
import re
import subprocess
import sys

import pytest

from support import lint_json, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD = "[program:web]\ncommand=/bin/true\nuser=web\n"
BAD = "[program:web]\ncommand=/bin/true\nautostart=ture\nuser=web\n"




def test_text_output_and_exit_status(tmp_path):
    path = tmp_path / "web.conf"
    path.write_text(BAD)
    status, out, err = run(["check", str(path)])
    assert status == 1 and err == ""
    assert out.splitlines() == [
        "%s:3:11: SV103 [error] autostart=ture: supervisord refuses to load: not a valid "
        "boolean value: 'ture'; expected true or false (also yes/no, on/off, 1/0)" % path,
        "Found 1 problem (1 that supervisord refuses to load).",
    ]


def test_clean_file_exits_zero_and_prints_nothing(tmp_path):
    path = tmp_path / "web.conf"
    path.write_text(GOOD)
    assert run(["check", str(path)]) == (0, "", "")


def test_info_only_findings_exit_zero(tmp_path):
    # no rule of this first part defaults to info; an ignored warning is the same case
    path = tmp_path / "web.conf"
    path.write_text(GOOD + "autostrat=true\n")
    assert run(["check", "--ignore", "SV102", str(path)])[0] == 0
    assert run(["check", str(path)])[0] == 1


def test_json_output_fields(tmp_path):
    path = tmp_path / "web.conf"
    path.write_text("[program:clock]\ncommand=/bin/date +%s\nuser=clock\n")
    status, out, err = run(["check", "--format", "json", str(path)])
    assert status == 1
    (d,) = json.loads(out)["diagnostics"]
    assert d == {
        "code": "SV106", "name": "unescaped-percent", "severity": "warning", "fatal": False,
        "message": d["message"], "path": str(path), "line": 2, "column": 20, "end_line": 2,
        "end_column": 22, "section": "program:clock", "key": "command",
        "fix": {"applicability": "safe", "edits": [{"start": 35, "end": 36, "replacement": "%%"}]},
        "url": "https://github.com/supervisor-lint/supervisor-lint/blob/main/docs/rules/SV106.md",
    }
    assert path.read_bytes()[35:37] == b"%s"


def test_json_output_is_an_empty_array_when_clean(tmp_path):
    from supervisor_lint import __version__
    path = tmp_path / "web.conf"
    path.write_text(GOOD)
    assert run(["check", "--format", "json", str(path)]) == (
        0, '{"version": "%s", "diagnostics": []}\n' % __version__, "")


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_select_and_ignore_take_codes_names_and_prefixes(tmp_path, option):
    path = tmp_path / "web.conf"
    path.write_text(BAD + "autostrat=1\n")
    for token in ("SV102", "unknown-key", "SV10"):
        status, diags, err = lint_json([option, token, str(path)])
        got = sorted({d["code"] for d in diags})
        if option == "--select":
            assert got == (["SV102"] if token != "SV10" else ["SV102", "SV103"])
        else:
            assert got == (["SV103"] if token != "SV10" else [])


def test_unknown_rule_in_select_is_a_usage_error(tmp_path):
    path = tmp_path / "web.conf"
    path.write_text(GOOD)
    status, out, err = run(["check", "--select", "SV999", str(path)])
    assert (status, out) == (2, "")
    assert err == "supervisor-lint: error: unknown rule code or name: SV999\n"


def test_bad_option_exits_2_with_one_line():
    status, out, err = run(["check", "--frobnicate"])
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("supervisor-lint: error: unrecognized arguments: --frobnicate")


def test_missing_path_exits_2(tmp_path):
    status, out, err = run(["check", str(tmp_path / "nope.conf")])
    assert (status, out) == (2, "")
    assert err == "supervisor-lint: error: %s: no such file or directory\n" % (tmp_path / "nope.conf")


def test_unreadable_file_exits_2(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "web.conf"
    path.write_text(GOOD)
    path.chmod(0)
    status, out, err = run(["check", str(path)])
    assert status == 2 and "cannot read" in err


def test_stdin(tmp_path):
    stdin = io.TextIOWrapper(io.BytesIO(BAD.encode()))
    status, out, err = run(["check", "-", "--stdin-filename", "conf.d/web.conf"], stdin=stdin)
    assert status == 1
    assert out.startswith("conf.d/web.conf:3:11: SV103 [error]")
    stdin = io.TextIOWrapper(io.BytesIO(BAD.encode()))
    assert run(["check", "-"], stdin=stdin)[1].startswith("-:3:11: SV103")


# an editor's buffer of deploy/conf.d/x.conf (on disk: ON_DISK) under deploy/supervisord.conf
ON_DISK = "[program:a]\ncommand=/bin/cat\nuser=a\nautostart=ture\n"
BUFFER = "[program:a]\ncommand=/bin/date +%s\nuser=a\nautostart=true\n"


def _editor_tree(tmp_path):
    deploy = tmp_path / "deploy"
    (deploy / "conf.d").mkdir(parents=True)
    (deploy / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/var/log/s.log\n[include]\nfiles=conf.d/*.conf\n")
    (deploy / "conf.d" / "x.conf").write_text(ON_DISK)
    return deploy


def _buffer():
    return io.TextIOWrapper(io.BytesIO(BUFFER.encode()))


@pytest.mark.parametrize("given", [False, True])
def test_stdin_under_a_main_config_is_what_is_linted_and_fixed(tmp_path, given):
    """An editor sends its buffer with --stdin-filename: under a main config
    (configured or given) the tree reads the buffer, not the file on disk,
    and --fix prints the fixed buffer and writes nothing."""
    deploy = _editor_tree(tmp_path)
    args = ["--main-config", "deploy/supervisord.conf"] if given else []
    if not given:
        (tmp_path / "pyproject.toml").write_text(
            '[tool.supervisor-lint]\nmain-config = "deploy/supervisord.conf"\n')
    name = ["--stdin-filename", "deploy/conf.d/x.conf", "-"]
    status, out, err = run(["check"] + args + name, cwd=str(tmp_path), stdin=_buffer())
    assert (status, err) == (1, "")
    assert out.startswith("deploy/conf.d/x.conf:2:20: SV106 [warning]") and "SV103" not in out
    status, out, err = run(["check", "--fix"] + args + name, cwd=str(tmp_path), stdin=_buffer())
    assert (status, out) == (0, BUFFER.replace("+%s", "+%%s"))
    assert (deploy / "conf.d" / "x.conf").read_text() == ON_DISK


def test_stdin_under_any_spelling_of_its_name(tmp_path):
    """Editors pass absolute paths: the buffer is fixed whatever spelling of
    the file --stdin-filename uses, and a walk that meets the file does not
    read it a second time."""
    deploy = _editor_tree(tmp_path)
    for name in (str(deploy / "conf.d" / "x.conf"), "./deploy/conf.d/x.conf",
                 "deploy//conf.d/x.conf"):
        status, out, err = run(["check", "--fix", "--main-config", "deploy/supervisord.conf",
                                "--stdin-filename", name, "-"], cwd=str(tmp_path),
                               stdin=_buffer())
        assert (status, out) == (0, BUFFER.replace("+%s", "+%%s")), (name, err)
        assert "Fixed 1 problem" in err
    for paths in (["-", "deploy/conf.d"], ["deploy/conf.d", "-"]):
        status, out, err = run(["check", "--stdin-filename", "./deploy/conf.d/x.conf"] + paths,
                               cwd=str(tmp_path), stdin=_buffer())
        assert (status, err) == (1, ""), paths
        assert re.findall(r": (SV\d+) \[", out) == ["SV106"], out
    assert (deploy / "conf.d" / "x.conf").read_text() == ON_DISK


def test_directory_recursion_skips_non_supervisor_files(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "nginx.conf").write_text("events {}\nhttp { server { listen 80; } }\n")
    (tmp_path / "app.ini").write_text("[app]\ndebug=true\n")
    (tmp_path / "conf.d" / "web.conf").write_text(BAD)
    (tmp_path / "conf.d" / "notes.txt").write_text(BAD)
    status, diags, err = lint_json([str(tmp_path)])
    assert [(d["path"], d["code"]) for d in diags] == [(str(tmp_path / "conf.d" / "web.conf"), "SV103")]
    # a file named explicitly is always linted
    status, diags, err = lint_json([str(tmp_path / "nginx.conf")])
    assert status == 1 and diags[0]["code"] == "SV001"


def test_main_config_found_in_directory_lints_its_includes_once(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "web.conf").write_text(BAD)
    (tmp_path / "supervisord.conf").write_text("[supervisord]\n[include]\nfiles=conf.d/*.conf\n")
    status, diags, err = lint_json([str(tmp_path)])
    assert [(d["path"], d["code"]) for d in diags] == [(str(tmp_path / "conf.d" / "web.conf"), "SV103")]


def test_rule_and_rules_commands():
    status, out, err = run(["rule", "SV004"])
    assert status == 0 and out.startswith("SV004 swallowed-line\n")
    assert "## Why is this bad?" in out
    status, out, err = run(["rule", "swallowed-line"])
    assert status == 0 and out.startswith("SV004 swallowed-line\n")
    status, out, err = run(["rule", "SV999"])
    assert status == 2 and "unknown rule" in err
    status, out, err = run(["rules"])
    assert status == 0
    assert [l.split()[0] for l in out.splitlines()][:3] == ["SV001", "SV002", "SV003"]


def test_no_subcommand_prints_help_and_exits_2():
    status, out, err = run([])
    assert status == 2 and "check" in out


# -- inputs that must never crash or hang ----------------------------------------

@pytest.mark.parametrize("data", [
    b"", b"\x00\x00\x00", b"\xff\xfe\xfd", os.urandom(4096), b"[program:x]\ncommand=\x00\n",
    b"\xef\xbb\xbf", b"[" * 1000, b"%" * 1000, b"[program:a]\nenvironment=" + b"'" * 100 + b"\n",
    b"\r\r\r", b"[supervisord]\n[include]\nfiles=" + b"[" * 50 + b"\n",
])
def test_odd_inputs_give_0_or_1(tmp_path, data):
    path = tmp_path / "odd.conf"
    path.write_bytes(data)
    status, out, err = run(["check", str(path)])
    assert status in (0, 1) and err == ""


NOTHING = ("supervisor-lint: warning: no supervisor config files (*.conf, *.ini, their templates) "
           "found under %s\n")


def test_directory_named_as_file_is_walked(tmp_path):
    assert run(["check", str(tmp_path)]) == (0, "", NOTHING % tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.conf"
    os.mkfifo(fifo)
    status, out, err = run(["check", str(fifo)])
    assert status == 2 and "not a regular file" in err
    # inside a directory walk it is skipped
    assert run(["check", str(tmp_path)]) == (0, "", NOTHING % tmp_path)


def test_symlink_loop(tmp_path):
    (tmp_path / "a.conf").symlink_to(tmp_path / "b.conf")
    (tmp_path / "b.conf").symlink_to(tmp_path / "a.conf")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    status, out, err = run(["check", str(tmp_path / "a.conf")])
    assert status == 2 and len(err.splitlines()) == 1
    assert run(["check", str(tmp_path)]) == (0, "", NOTHING % tmp_path)


def test_five_megabyte_line(tmp_path):
    path = tmp_path / "big.conf"
    path.write_bytes(b"[program:a]\nuser=nobody\ncommand=/bin/echo " +
                     b"x;y " * (5 * 1024 * 1024 // 4) + b"\n")
    status, out, err = run(["check", str(path)])
    # one finding: no shell splits 'x;y' in a command (SV005, once per line)
    assert status == 1 and err == "" and out.count("SV005") == 1


def test_hundred_thousand_sections(tmp_path):
    path = tmp_path / "many.conf"
    path.write_text("".join("[program:p%d]\ncommand=/bin/true\nuser=nobody\n" % i
                            for i in range(100000)))
    status, out, err = run(["check", str(path)])
    assert (status, out, err) == (0, "", "")


def test_console_entry_points_run():
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "supervisor_lint", "--version"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("supervisor-lint ")


def test_main_config_context_still_reports_refusals_elsewhere(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        "[DEFAULT]\nredirect_stderr=true\n[supervisord]\n[include]\nfiles=conf.d/*.conf\n")
    (tmp_path / "conf.d" / "e.conf").write_text(
        "[eventlistener:e]\ncommand=/bin/cat\nevents=TICK_5\nuser=app\n")
    status, diags, err = lint_json(["--main-config", str(tmp_path / "supervisord.conf"),
                                    str(tmp_path / "conf.d" / "e.conf")])
    assert [(d["code"], d["fatal"], d["path"]) for d in diags] == [
        ("SV103", True, str(tmp_path / "supervisord.conf"))]


@pytest.mark.parametrize("text", [
    "".join("[group:g%d]\nprograms=a\n" % i for i in range(20000)) + "[program:a]\ncommand=/bin/true\nuser=a\n",
    "".join("[program:w%d]\ncommand=/srv/v/bin/celery -A p worker -n w1 -P solo\nuser=w\n"
            "directory=/srv\nautorestart=true\nstopwaitsecs=600\numask=022\n" % i for i in range(5000)),
    "".join("[program:b%d]\ncommand=/srv/v/bin/celery -A p beat -s /var/lib/b\nuser=w\n"
            "directory=/srv\nautorestart=true\numask=022\n" % i for i in range(5000)),
    "".join("[program:p%d]\ncommand=/bin/true\nuser=a\nautostrat=1  ; supervisor-lint: disable=SV102\n"
            % i for i in range(5000)),
])
def test_many_sections_of_one_kind_stay_linear(tmp_path, text):
    # each of these was quadratic once (group members, shared node names,
    # beat instances, suppressions): they must finish in well under a minute
    import time
    path = tmp_path / "many.conf"
    path.write_text("[supervisord]\n" + text)
    start = time.perf_counter()
    status, out, err = run(["check", "--quiet", str(path)])
    assert status in (0, 1) and err == ""
    assert time.perf_counter() - start < 30
    assert max(len(line) for line in out.splitlines() or [""]) < 1000


def test_unreadable_directory_exits_2(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any directory")
    d = tmp_path / "noperm"
    d.mkdir()
    d.chmod(0)
    try:
        status, out, err = run(["check", str(d)])
        assert status == 2 and "cannot read" in err
    finally:
        d.chmod(0o755)


def test_a_file_with_include_but_no_supervisord_anywhere_is_a_fragment(tmp_path):
    path = tmp_path / "b.conf"
    path.write_text("[include]\nfiles=more/*.conf\n[program:web]\ncommand=/bin/true\nuser=web\n")
    status, diags, err = lint_json([str(path)])
    assert [(d["code"], d["line"]) for d in diags] == [("SV111", 1)]


def test_rules_as_data_and_names_with_did_you_mean(tmp_path):
    """Issue 14, item 5 (part)."""
    import json as _json
    status, out, err = run(["rules", "--format", "json", "--select", "celery"])
    rules = _json.loads(out)
    assert status == 0 and [r["code"] for r in rules] == [
        "SV401", "SV402", "SV403", "SV404", "SV405", "SV406", "SV407", "SV408", "SV409",
        "SV410", "SV411"]
    assert set(rules[0]) == {"code", "name", "category", "severity", "fatal", "default",
                             "scope", "cross_file", "sees_all_fatal", "security_severity",
                             "summary", "fix", "url"}
    assert (rules[0]["name"], rules[0]["fix"]) == ("celery-option-order", "safe")
    status, out, err = run(["rules", "--format", "json", "--select", "live"])
    assert [r["code"] for r in _json.loads(out) if r["sees_all_fatal"]] == ["SV602"]
    status, out, err = run(["rule", "bare-exectuable"])
    assert (status, out) == (2, "") and err == (
        "supervisor-lint: error: unknown rule 'bare-exectuable'; did you mean "
        "'bare-executable'? ('supervisor-lint rules' lists them)\n")
    status, out, err = run(["rule", "bare-executable"])
    assert status == 0 and out.startswith("SV212 bare-executable\n")


def test_check_without_a_path_lints_the_current_directory(tmp_path):
    (tmp_path / "a.conf").write_text("[program:a]\ncommand=/srv/a\nuser=a\nautostart=ture\n")
    status, out, err = run(["check", "--isolated"], cwd=str(tmp_path))
    assert status == 1 and out.startswith("./a.conf:4:11: SV103 [error] autostart=ture")
