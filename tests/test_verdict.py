"""The linter's fatal verdict equals supervisor 4.3.0's accept/reject verdict.

User names, directories and plugin imports count as valid on both sides
(``support._machine_independent``), and ``%(ENV_X)s`` as set."""

import os
import shutil
import tempfile

import pytest
from hypothesis import example, given, settings, strategies as st, HealthCheck

from support import supervisor_verdict, lint_json, env_names, CORPUS

pytest.importorskip("supervisor")

V = {
    "boolean": ["true", "false", "yes", "0", "ture", "", "TRUE", "1 ", "t"],
    "integer": ["10", "-1", "1_000", "1.5", "abc", "010", " 7", "0", "3"],
    "byte_size": ["50MB", "50M", "1kb", "10", "1.5MB", "gb", "0", "-1", "50 mb"],
    "octal": ["022", "0o22", "8", "0x1", "777", ""],
    "signal": ["TERM", "SIGKILL", "int", "9", "40", "FOO", "rtmin", "0", "SIG_DFL"],
    "auto_restart": ["true", "unexpected", "maybe", "false", "UNEXPECTED"],
    "exitcodes": ["0,2", "0,256", "", "a", "0, 1"],
    "logging_level": ["info", "warning", "warn", "crit", "BLATHER", "__module__"],
    "logfile": ["AUTO", "NONE", "/tmp/x.log", "syslog", "x.log", "%(program_name)s.log",
                "/tmp/%(process_num)s.log", "50%.log", "a%%%%d.log", "a%%d.log", "off", ""],
    "dirpath": ["/tmp/s.log", "s.log", "%(here)s/s.log", "%(program_name)s.log", "a%%d"],
    "directory": ["/tmp", "%(here)s", "%(host_node_name)s"],
    "str": ["/bin/echo hi", "%(program_name)s", "%(here)s", "%(foo)s", "/bin/date +%s", "50%",
            "%%", "%(process_num)d", "%(group_name)s", "%(ENV_HOME)s/x", "%(numprocs)d"],
    "command": ["/bin/echo hi", "/bin/date +%%s", "/bin/date +%s", "/bin/x %(process_num)02d",
                "/bin/x 90%", "/bin/x %(program_name)d", "/bin/x %(ENV_PORT)s"],
    "process_name": ["%(program_name)s_%(process_num)02d", "web", "a b", "%(process_num)d",
                     "x/%(process_num)s", "%(program_name)s"],
    "environment": ["A=1", 'A="x y"', "A=x y", "A=", "A=1,B=2", 'A="x', "A=$HOME",
                    "A=%(program_name)s", 'URI="/a%%20b"', "A=1,,B=2", "A=%(ENV_X)s"],
    "events": ["PROCESS_STATE", "TICK_5,", "FOO", "tick_60", "PROCESS_STATE,TICK_60"],
    "inet_address": ["9001", "127.0.0.1:9001", ":0", "*:70000", "abc", "localhost:"],
    "fcgi_socket": ["unix:///tmp/x.sock", "unix://rel.sock", "tcp://127.0.0.1:9000",
                    "tcp://:9000", "tcp://h:99999", "%(program_name)s", "%(process_num)s"],
    "user": ["nobody", "0", "", "a b"],
    "user_group": ["nobody", "nobody:nogroup", "a b", "0:0"],
    "entry_point": ["supervisor.rpcinterface:make_main_rpcinterface", "mod.attr", "bad spec!",
                    "a:b:c"],
    "list_of_strings": ["web", "web,worker", "web,", "missing", "web, worker", ""],
    "socket_backlog": ["128", "0", "70000", "x"],
    "buffer_size": ["10", "0", "-1", "x"],
}

KEYS = {}


def _keys():
    if not KEYS:
        from supervisor_lint import schema
        for kind in schema.KINDS:
            KEYS[kind.name] = sorted(kind.keys.items())
    return KEYS


SECTIONS = [("program", "program:web"), ("program", "program:worker"),
            ("program", "program:a b"), ("group", "group:g"), ("eventlistener", "eventlistener:l"),
            ("fcgi-program", "fcgi-program:f"), ("unix_http_server", "unix_http_server"),
            ("inet_http_server", "inet_http_server"), ("rpcinterface", "rpcinterface:supervisor"),
            ("include", "include"), ("DEFAULT", "DEFAULT"), ("supervisord", "supervisord")]


@st.composite
def config(draw):
    keys = _keys()
    parts = []
    chosen = draw(st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=5))
    if draw(st.integers(0, 9)) > 0:
        chosen = [("supervisord", "supervisord")] + chosen
    for kind, name in chosen:
        parts.append("[%s]" % name)
        if kind == "DEFAULT":
            pool = keys["program"]
        else:
            pool = keys[kind]
        required = [k for k, spec in pool if spec.required]
        n = draw(st.integers(0, 4))
        picked = [k for k, _ in draw(st.lists(st.sampled_from(pool), max_size=n))]
        if required and draw(st.integers(0, 4)) > 0:
            picked = required + picked
        spec_of = dict(pool)
        for key in picked:
            typ = spec_of[key].type
            value = draw(st.sampled_from(V.get(typ, V["str"])))
            if kind == "include" and key == "files":
                value = draw(st.sampled_from(["inc/*.conf", "", "nomatch/*.ini", "%(here)s/inc/a.conf",
                                              "%(bogus)s"]))
            parts.append("%s=%s" % (key, value))
        if draw(st.integers(0, 6)) == 0:
            parts.append(draw(st.sampled_from(["autostrat=true", "  autostart=false",
                                               "stdout_logfile=/tmp/a.log ;x", "x"])))
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def workdir():
    path = tempfile.mkdtemp(prefix="svlint-verdict-")
    os.makedirs(os.path.join(path, "inc"))
    with open(os.path.join(path, "inc", "a.conf"), "w") as fh:
        fh.write("[program:inc]\ncommand=/bin/echo %(here)s\n")
    yield path
    shutil.rmtree(path)


def _compare(path):
    ok, message = supervisor_verdict(path)
    status, diags, err = lint_json(["--main-config", path])
    assert err == ""
    lint_fatal = [d for d in diags if d["fatal"]]
    with open(path) as fh:
        text = fh.read()
    assert ok == (not lint_fatal), "supervisor says %r, linter says %r for:\n%s" % (
        message, [(d["code"], d["line"], d["message"]) for d in lint_fatal], text)


@settings(max_examples=int(__import__("os").environ.get("SVLINT_EXAMPLES", 400)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(config())
# a custom factory overridden by the standard one in the same section: the
# standard one is what supervisord imports, so an unknown event type is fatal
@example("[supervisord]\n[eventlistener:l]\ncommand=/bin/echo hi\nevents=PROCESS_STATE\n"
         "  autostart=false\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=mod.attr\n"
         "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n")
def test_fatal_verdict_matches_supervisor(workdir, text):
    path = os.path.join(workdir, "supervisord.conf")
    with open(path, "w") as fh:
        fh.write(text)
    _compare(path)


def _corpus_files():
    if not os.path.isdir(CORPUS):
        return []
    return sorted(f for f in os.listdir(CORPUS) if f.endswith((".conf", ".ini")))


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus/real is absent")
@pytest.mark.parametrize("name", _corpus_files())
def test_corpus_verdict_matches_supervisor(name, tmp_path):
    """Each corpus file, wrapped as supervisord would see it (a main config
    as is, a fragment through a minimal [supervisord] + [include])."""
    src = os.path.join(CORPUS, name)
    with open(src, "rb") as fh:
        data = fh.read()
    target = tmp_path / name
    target.write_bytes(data)
    from supervisor_lint import reader
    from supervisor_lint.tree import is_main
    if is_main(reader.parse(data, name)):
        main = str(target)
    else:
        main = str(tmp_path / "main-wrapper.conf")
        with open(main, "w") as fh:
            fh.write("[supervisord]\n[include]\nfiles=%s\n" % name)
    ok, message = supervisor_verdict(main, env={n: "1" for n in env_names(data.decode("utf-8", "replace"))})
    status, diags, err = lint_json([str(target)] if main == str(target) else ["--main-config", main, str(target)])
    assert err == ""
    lint_fatal = [d for d in diags if d["fatal"]]
    assert ok == (not lint_fatal), (message, [(d["code"], d["line"], d["message"]) for d in lint_fatal])
