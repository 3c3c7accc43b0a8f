"""The schema rules (SV1xx): what supervisord's loader refuses or silently
changes, unknown sections and keys, sizes without a unit."""

import pytest

from cases import CORE, P, W, case, core_case, core_lint
from support import lint_text


CASES = [
    # code, config, (line, column), start of the message
    ("SV101", "[Program:web]\ncommand=/bin/true\n", (1, 1),
     "supervisord ignores the section [Program:web]"),
    ("SV101", "[programs:web]\ncommand=/bin/true\n", (1, 1), "supervisord ignores the section [programs:web]"),
    ("SV102", P + "autostrat=true\n", (3, 1), "supervisord ignores the key autostrat in [program:web]; did you mean autostart?"),
    ("SV102", P + "logfile=/tmp/web.log\n", (3, 1), "supervisord ignores the key logfile in [program:web]: a 2.x key; use stdout_logfile"),
    ("SV103", P + "autostart=ture\n", (3, 11), "autostart=ture: supervisord refuses to load: not a valid boolean value: 'ture'"),
    ("SV103", P + "stdout_logfile_maxbytes=50M\n", (3, 25),
     "stdout_logfile_maxbytes=50M: supervisord refuses to load: invalid literal for int() with base 10: '50m'"),
    ("SV103", P + "stopsignal=SIGSTOPP\n", (3, 12), "stopsignal=SIGSTOPP: supervisord refuses to load: value 'SIGSTOPP' is not a valid signal name"),
    ("SV103", P + "stopasgroup=true\nkillasgroup=false\n", (4, 13), "Cannot set stopasgroup=true and killasgroup=false"),
    ("SV103", "[eventlistener:l]\ncommand=/bin/cat\nevents=PROCESS_STATE\nredirect_stderr=true\n", (4, 17),
     "[eventlistener:l] section sets redirect_stderr=true"),
    ("SV103", "[fcgi-program:php]\ncommand=/usr/sbin/php-cgi\nsocket=unix://run/php.sock\n", (3, 8),
     "supervisord refuses to load: ('Unix socket path %s is not an absolute path', 'run/php.sock')"),
    ("SV104", "[program:web]\nautostart=true\n", (1, 1), "program section program:web does not specify a command"),
    ("SV104", "[eventlistener:l]\ncommand=/bin/cat\n", (1, 1), "supervisord refuses to load: [eventlistener:l] section requires an \"events\" line"),
    ("SV104", "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\n", (3, 10),
     "Section [inet_http_server] contains incomplete authentication"),
    ("SV105", "[program:disk]\ncommand=/usr/bin/alert --threshold 90%\n", (2, 9),
     "supervisord refuses to load: Format string '/usr/bin/alert --threshold 90%' for 'program:disk.command' is badly formatted: incomplete format."),
    ("SV105", P + "directory=%(program)s\n", (3, 11),
     "supervisord refuses to load: Format string '%(program)s' for 'program:web.directory' contains names ('program')"),
    ("SV105", P + "stdout_logfile=/var/log/%(ENV_APP)s.log\n", (3, 16),
     "%(ENV_APP)s is not defined by this configuration"),
    ("SV106", "[program:clock]\ncommand=/bin/date +%s\n", (2, 20),
     "%s in command is not a %(name)s expansion"),
    ("SV107", P + "environment=DATABASE_URL=postgres://u:p@db/x,DEBUG=1\n", (3, 13),
     "environment: supervisord refuses to load: Unexpected end of key/value pairs"),
    ("SV108", "[program:w]\ncommand=/bin/true\nnumprocs=3\n", (3, 10), "numprocs=3 but process_name has no %(process_num)"),
    ("SV109", "[group:g]\nprograms=web,worker\n" + P, (2, 10), "[group:g] programs= names 'worker'"),
    ("SV110", "[program:my app]\ncommand=/bin/true\n", (1, 1),
     "supervisord refuses to load: Invalid name: 'my app' because of character: ' '"),
    ("SV111", "[supervisord]\n[include]\nfiles=conf.d/*.conf\n", (3, 7), "No file matches via include"),
    ("SV111", "[supervisord]\n[include]\n", (2, 1), ".ini file has [include] section, but no files setting"),
    ("SV112", P + "environment=HOME_DIR=$HOME\n", (3, 13), "environment: HOME_DIR keeps only '$'"),
    ("SV112", P + "environment=URL=http://h/p?q=1\n", (3, 13), "environment: URL keeps 'http://h/p' and treats '?' as the separator"),
]


@pytest.mark.parametrize("code,text,where,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, message):
    core_case(tmp_path, code, text, where, message)


SEVERITY_CASES = [
    # code, config, (line, column), severity, start of the message
    ('SV113', W + "redirect_stderr=true\nstdout_logfile=/var/log/w.log\nstdout_logfile_maxbytes=50\n",
     (11, 25), 'warning', 'stdout_logfile_maxbytes=50 means 50 bytes, so the log rotates every fe'),
]


@pytest.mark.parametrize("code,text,where,severity,message", SEVERITY_CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(SEVERITY_CASES)])
def test_rule_reports_its_case_and_severity(tmp_path, code, text, where, severity, message):
    # --extend-select: the opt-in rules (SV205) run only when asked for
    case(tmp_path, code, text, where, severity, message)


def test_percent_fix_escapes_the_bare_spec(tmp_path):
    text = "[program:clock]\ncommand=/bin/date +%s\n"
    (d,) = [d for d in core_lint(text, tmp_path) if d["code"] == "SV106"]
    data = text.encode()
    for edit in sorted(d["fix"]["edits"], key=lambda e: -e["start"]):
        data = data[:edit["start"]] + edit["replacement"].encode() + data[edit["end"]:]
    assert data == b"[program:clock]\ncommand=/bin/date +%%s\n"
    assert d["fix"]["applicability"] == "safe"


def test_two_bare_specs_are_fatal_not_a_silent_format(tmp_path):
    # Python's % with a mapping formats one bare %s with the whole mapping, but
    # %N is no conversion at all: supervisord refuses the file.
    diags = core_lint("[program:clock]\ncommand=/bin/date +%s.%N\n", tmp_path)
    assert [(d["code"], d["fatal"]) for d in diags] == [("SV105", True)]
    assert "is badly formatted: not enough arguments for format string" in diags[0]["message"]
    assert diags[0]["message"].endswith("Write %% for a literal %.")


def test_percent_fix_in_a_doubly_expanded_key_uses_four(tmp_path):
    text = P + "stdout_logfile=/tmp/web-%s.log\n"
    (d,) = [d for d in core_lint(text, tmp_path) if d["code"] == "SV106"]
    assert [e["replacement"] for e in d["fix"]["edits"]] == ["%%%%"]


def test_findings_in_an_included_file_are_reported_there(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "web.conf").write_text(P + "autostart=ture\n")
    (tmp_path / "supervisord.conf").write_text("[supervisord]\n[include]\nfiles=conf.d/*.conf\n")
    from support import lint_json
    status, diags, err = lint_json(list(CORE) + [str(tmp_path / "supervisord.conf")])
    assert [(d["code"], d["path"], d["line"]) for d in diags] == [
        ("SV103", str(tmp_path / "conf.d" / "web.conf"), 3)]
    assert status == 1


def test_nested_include_is_reported_as_ignored(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("[include]\nfiles=more/*.conf\n" + P)
    (tmp_path / "supervisord.conf").write_text("[supervisord]\n[include]\nfiles=conf.d/*.conf\n")
    from support import lint_json
    status, diags, err = lint_json(list(CORE) + [str(tmp_path / "supervisord.conf")])
    assert [(d["code"], d["line"], d["fatal"]) for d in diags] == [("SV111", 1, False)]
    assert diags[0]["message"].startswith("[include] in an included file is ignored")


def test_fragment_in_context_of_main_config(tmp_path):
    (tmp_path / "conf.d").mkdir()
    frag = tmp_path / "conf.d" / "web.conf"
    frag.write_text("[program:web]\ncommand=/bin/x %(ENV_APP_HOME)s\n")
    main = tmp_path / "supervisord.conf"
    main.write_text("[supervisord]\nenvironment=APP_HOME=\"/srv\"\n[include]\nfiles=conf.d/*.conf\n")
    from support import lint_json
    # alone, the ENV_ name is unknown: a warning
    status, diags, err = lint_json(list(CORE) + [str(frag)])
    assert [(d["code"], d["severity"]) for d in diags] == [("SV105", "warning")]
    # in the context of its main config it is defined
    status, diags, err = lint_json(list(CORE) + ["--main-config", str(main), str(frag)])
    # (defined by environment=: supervisor 4.2.2 and newer only, which SV116 says)
    assert [(d["code"], d["severity"]) for d in diags] == [("SV116", "info")] and status == 0


def test_celery_hint_on_unescaped_percent(tmp_path):
    diags = lint_text(W.replace("worker\n", "worker -n w1@%h\n", 1), tmp_path)
    (d,) = [d for d in diags if d["code"] == "SV105"]
    assert d["fatal"] and "%%h" in d["message"] and "Celery" in d["message"]


def test_an_absolute_include_of_another_machine_is_info(tmp_path):
    """Precision run: a repository's docker/supervisord.conf including
    /etc/supervisor/conf.d/*.conf names the image's files, not this machine's."""
    from support import lint_json
    main = tmp_path / "supervisord.conf"
    main.write_text("[supervisord]\n[include]\nfiles = /nonexistent-image-dir/conf.d/*.conf "
                    "conf.d/*.conf\n")
    status, diags, err = lint_json(["--isolated", "--select", "SV111", str(main)])
    assert [(d["severity"], d["line"]) for d in diags] == [("info", 3), ("warning", 3)]
    assert diags[0]["message"] == (
        "No file matches via include '/nonexistent-image-dir/conf.d/*.conf' on this machine; "
        "if it names a server's or an image's files, lint them with --main-config, or the "
        "server's tree with audit --root")
    assert diags[1]["message"] == (
        "No file matches via include '%s/conf.d/*.conf': supervisord only logs a warning and "
        "loads without it" % tmp_path)


def test_the_warnings_supervisord_prints_at_load(tmp_path):
    """Issue 13, item 4: each in supervisord 4.3.0's words (options.py)."""
    from support import lint_json
    path = tmp_path / "w.conf"
    path.write_text("[program:a]\ncommand=/bin/cat\nstdout_logfile=syslog\n"
                    "[program:b]\ncommand=/bin/cat\nstdout_logfile_maxbytes=0\n"
                    "[program:c]\ncommand=/bin/cat\nstdout_logfile=/var/log/c/\n")
    status, diags, err = lint_json(["--isolated", "--select", "SV114,SV115", str(path)])
    expected = [
        ("SV114", 3, 16, 'supervisord warns at every start: "For [program:a], stdout_logfile='),
        ("SV114", 6, 25, 'supervisord warns: "For [program:b], AUTO logging used for stdout_l'),
        ("SV115", 9, 16, "stdout_logfile=/var/log/c/ is a directory: supervisord cannot open ")]
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [e[:3] for e in expected]
    assert all(d["message"].startswith(e[3]) for d, e in zip(diags, expected))
    assert diags[2]["message"].endswith(
        "(\"spawnerr: unknown error making dispatchers for 'c': EISDIR\") and the program ends "
        "FATAL; name a file in it")
    # supervisor 4.2.1 special-cased a file named syslog and said nothing
    status, diags, err = lint_json(["--isolated", "--select", "SV114", "--target-version",
                                    "4.2.1", str(path)])
    assert [d["line"] for d in diags] == [6]
    # twins: syslog the new way, AUTO with rotation, a file in the directory
    path.write_text("[program:a]\ncommand=/bin/cat\nstdout_syslog=true\n"
                    "[program:b]\ncommand=/bin/cat\nstdout_logfile_maxbytes=1MB\n"
                    "[program:c]\ncommand=/bin/cat\nstdout_logfile=/var/log/c/out.log\n")
    assert lint_json(["--isolated", "--select", "SV114,SV115", str(path)])[1] == []


def test_an_include_by_host_name_is_host_dependent(tmp_path):
    from support import lint_json
    main = tmp_path / "supervisord.conf"
    main.write_text("[supervisord]\n[include]\nfiles = conf.d/%(host_node_name)s/*.conf\n")
    status, diags, err = lint_json(["--isolated", str(main)])
    assert [(d["code"], d["severity"], d["line"], d["message"][:60]) for d in diags] == [
        ("SV111", "info", 3, "include pattern 'conf.d/%(host_node_name)s/*.conf' depends o")]


def test_version_dependent_readings_are_said_whatever_the_target(tmp_path):
    """Issue 13, item 3: SV116 on its exact line and column, and twins."""
    from support import lint_json
    path = tmp_path / "v.conf"
    path.write_text("[program:a]]\ncommand=/bin/cat\nprocess_name=a;x ;y #z\n"
                    "stopsignal=STKFLT\nnumprocs=2\n"
                    "[program:b]\ncommand=/bin/cat %(process_num)d of %(numprocs)d\n"
                    "process_name=b_%(process_num)d\nnumprocs=2\n"
                    "[inet_http_server]\nport=::1:9001\n")
    status, diags, err = lint_json(["--isolated", "--select", "SV116", str(path)])
    assert [(d["line"], d["column"], d["severity"], d["message"][:40]) for d in diags] == [
        (1, 1, "warning", "Python 3.9 and older read this header as"),
        (3, 18, "warning", "Python 3.13 and newer end this value at "),
        (4, 12, "warning", "stopsignal=STKFLT is SIGSTKFLT, which Py"),
        (7, 9, "warning", "%(numprocs)d needs supervisor 4.2.0 or n"),
        (11, 6, "warning", "port=::1:9001 has an IPv6 host: supervis")]
    # the target on the failing side: the loader's verdict, not a warning
    status, diags, err = lint_json(["--isolated", "--select", "SV1", "--target-version",
                                    "4.1", "--target-python", "3.9", str(path)])
    assert [(d["code"], d["line"]) for d in diags if d["fatal"]] == [
        ("SV108", 3), ("SV110", 3), ("SV103", 4), ("SV105", 7), ("SV103", 11)]
    assert [d["message"][-53:] for d in diags if d["code"] == "SV105"] == [
        "%(numprocs)d arrived in supervisor 4.2.0 (the target is 4.1.0)."[-53:]]
    # twins
    path.write_text("[program:a]\ncommand=/bin/cat\nprocess_name=a_x\nstopsignal=TERM\n"
                    "[inet_http_server]\nport=127.0.0.1:9001\n")
    assert lint_json(["--isolated", "--select", "SV116", str(path)])[1] == []
