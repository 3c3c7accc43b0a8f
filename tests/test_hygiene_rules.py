"""The process-hygiene, security and Celery rules: each fires on the right
line of its own cases and stays silent on the clean twins."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from support import lint_text, lint_json, CORPUS
from supervisor_lint import command

# A correct Celery 5 prefork worker; most cases change one thing in it.
W = "[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\nuser=celery\nautorestart=true\nstopwaitsecs=600\nkillasgroup=true\numask=022\n"
CASES = [
    # code, config, (line, column), severity, start of the message
    ('SV113', W + "redirect_stderr=true\nstdout_logfile=/var/log/w.log\nstdout_logfile_maxbytes=50\n",
     (11, 25), 'warning', 'stdout_logfile_maxbytes=50 means 50 bytes, so the log rotates every fe'),
    ('SV201', W.replace("killasgroup=true\n", ""),
     (1, 1), 'warning', 'a Celery prefork worker forks child processes, but neither killasgroup'),
    ('SV201', "[program:web]\ncommand=/srv/app/venv/bin/gunicorn -w 4 app:app\nuser=www-data\nautorestart=true\n",
     (1, 1), 'warning', 'gunicorn forks child processes, but neither killasgroup nor stopasgrou'),
    ('SV202', "[program:app]\ncommand=/bin/sh -c \"cd /srv/app && ./run-server\"\nuser=app\n",
     (1, 1), 'error', 'the command runs through sh -c without exec, which does not pass the s'),
    ('SV202', W.replace("/srv/app/venv/bin/celery -A proj worker", "/bin/sh -c \"cd /srv/app && /srv/app/venv/bin/celery -A proj worker\""),
     (2, 9), 'error', 'the command runs Celery through sh -c without exec: the shell gets the'),
    ('SV202', "[program:ui]\ncommand=/usr/bin/npm start\nuser=app\ndirectory=/srv/ui\n",
     (1, 1), 'error', 'the command runs through npm start, which does not pass the stop signa'),
    ('SV203', W.replace("killasgroup=true", "stopasgroup=true"),
     (7, 13), 'error', 'stopasgroup=true sends the stop signal TERM to the whole process group'),
    ('SV203', W.replace("killasgroup=true", "stopasgroup=true\nstopsignal=TERM"),
     (8, 12), 'error', 'stopasgroup=true sends the stop signal TERM to the whole process group'),
    ('SV204', W.replace("autorestart=true\n", ""),
     (1, 1), 'warning', "autorestart is not set, so it is 'unexpected': a worker that exits wit"),
    ('SV204', W.replace("autorestart=true", "autorestart=false"),
     (5, 13), 'warning', 'autorestart=false: this long-running worker is never restarted when it'),
    ('SV205', W.replace("umask=022\n", ""),
     (1, 1), 'info', "no umask: files this Celery program creates (beat's schedule, --logfil"),
    ('SV206', W.replace("umask=022", "umask=000"),
     (8, 7), 'warning', 'umask=000 leaves every file this program creates writable by every use'),
    ('SV207', W + "redirect_stderr=true\nstdout_logfile=logs/worker.log\n",
     (10, 16), 'warning', 'stdout_logfile=logs/worker.log is relative: supervisord opens it relat'),
    ('SV208', W + "stdout_logfile=/var/log/w.log\n",
     (9, 16), 'warning', 'stdout goes to /var/log/w.log but stderr to an AUTO file in childlogdi'),
    ('SV208', W + "stdout_logfile=/var/log/w.log\nstderr_logfile=/var/log/w.log\n",
     (10, 16), 'warning', 'stdout_logfile and stderr_logfile are the same file, opened by two rot'),
    ('SV209', W + "redirect_stderr=true\nstdout_logfile=/dev/stdout\n",
     (10, 16), 'error', 'stdout_logfile=/dev/stdout cannot be rotated: with stdout_logfile_maxb'),
    ('SV210', "[program:app]\ncommand=source /srv/app/venv/bin/activate && celery -A proj worker\n",
     (2, 9), 'error', "no shell runs the command: 'source' is a shell builtin, not a program;"),
    ('SV210', "[program:app]\ncommand=/srv/app/bin/run --home $HOME\nuser=app\n",
     (2, 9), 'error', "no shell runs the command: $HOME is not expanded; write the program's "),
    ('SV211', W.replace("worker\n", "worker --detach\n", 1),
     (2, 9), 'error', '--detach makes Celery fork into the background: its first process exit'),
    ('SV211', "[program:nginx]\ncommand=/usr/sbin/nginx\n",
     (2, 9), 'error', "nginx daemonizes unless started with -g 'daemon off;': its first proce"),
    ('SV212', W.replace("/srv/app/venv/bin/celery", "celery"),
     (2, 9), 'warning', 'celery is a bare name: supervisord looks it up on its own PATH (or PAT'),
    ('SV213', W.replace("/srv/app/venv/bin/celery", "venv/bin/celery"),
     (2, 9), 'error', 'venv/bin/celery is relative: supervisord resolves it against its own w'),
    ('SV214', "[program:web]\ncommand=/usr/bin/node /srv/web/server.js\nuser=web\nstopsignal=KILL\n",
     (4, 12), 'warning', 'stopsignal=KILL kills the program without any chance to shut down clea'),
    ('SV301', "[inet_http_server]\nport=127.0.0.1:9001\n",
     (1, 1), 'error', '[inet_http_server] has no username and password: anyone who can reach '),
    ('SV302', "[inet_http_server]\nport=*:9001\nusername=admin\npassword={SHA}0123456789abcdef0123456789abcdef01234567\n",
     (2, 6), 'warning', "port=*:9001 listens on every network interface: supervisord's control "),
    ('SV303', "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword=hunter2\n",
     (4, 10), 'warning', '[inet_http_server] password is written in clear text: anyone who can r'),
    ('SV304', "[unix_http_server]\nfile=/run/supervisor.sock\nchmod=0777\n",
     (3, 7), 'error', "chmod=0777 lets every local user write to supervisord's control socket"),
    ('SV305', W.replace("user=celery\n", ""),
     (1, 1), 'error', 'no user=: this Celery worker runs as root; Celery refuses to start as '),
    ('SV305', "[program:web]\ncommand=/srv/app/venv/bin/gunicorn app:app\nuser=root\n",
     (3, 6), 'warning', 'user=root: under a root supervisord this program runs as root; set use'),
    ('SV306', W + "environment=CELERY_BROKER_URL=\"redis://:s3cret@redis:6379/0\"\n",
     (9, 13), 'warning', 'environment variable CELERY_BROKER_URL holds a URL with a password: it'),
    ('SV306', W.replace("worker\n", "worker -b amqp://user:s3cret@mq//\n", 1),
     (2, 9), 'warning', 'the command line holds a URL with a password: every local user sees it'),
    ('SV401', W.replace("celery -A proj worker", "celery worker -A proj"),
     (2, 9), 'error', 'celery worker -A: Celery 5 takes -A only before the subcommand and exi'),
    ('SV402', W.replace("worker\n", "worker -B\n", 1) + "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n",
     (9, 10), 'error', 'a worker with -B with numprocs=2 runs 2 schedulers: every periodic tas'),
    ('SV402', W + "[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/s\ndirectory=/srv/app\nuser=celery\nautorestart=true\numask=022\n[program:beat2]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/s2\ndirectory=/srv/app\nuser=celery\nautorestart=true\numask=022\n",
     (10, 9), 'error', '2 beat schedulers in this configuration ([program:beat], [program:beat'),
    ('SV403', W.replace("stopwaitsecs=600\n", ""),
     (1, 1), 'warning', 'stopwaitsecs is not set (10 seconds), but a warm shutdown waits for th'),
    ('SV403', W.replace("worker\n", "worker --time-limit=900\n", 1),
     (6, 14), 'warning', "stopwaitsecs=600, but the worker's --time-limit is 900 s: supervisord "),
    ('SV404', W + "stopsignal=QUIT\n",
     (9, 12), 'warning', "stopsignal=QUIT: QUIT is Celery's cold shutdown: running tasks are ter"),
    ('SV405', W + "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n",
     (2, 9), 'warning', 'numprocs=2 workers all take the default node name celery@<host>: remot'),
    ('SV406', W.replace("/srv/app/venv/bin/celery -A proj worker", "/usr/bin/python3 -m celery -A proj worker"),
     (2, 9), 'warning', '/usr/bin/python3 -m celery runs the system interpreter: it imports the'),
    ('SV406', W + "environment=VIRTUAL_ENV=\"/srv/other/venv\"\n",
     (2, 9), 'warning', '/srv/app/venv/bin/celery comes from the virtualenv /srv/app/venv, but '),
    ('SV407', W.replace("/srv/app/venv/bin/celery -A proj worker", "/srv/app/venv/bin/celeryd"),
     (2, 9), 'error', 'celeryd is gone since Celery 4.0 (only the celery program remains): th'),
    ('SV407', W.replace("worker\n", "worker --maxtasksperchild=10\n", 1),
     (2, 9), 'error', "--maxtasksperchild is no longer a Celery option: Celery 5 exits with '"),
    ('SV408', W.replace("directory=/srv/app\n", ""),
     (1, 1), 'warning', 'celery -A proj imports proj from the working directory (unless it is a'),
    ('SV409', "[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat\nuser=celery\nautorestart=true\numask=022\n",
     (2, 9), 'warning', 'beat keeps its schedule file celerybeat-schedule in its working direct'),
    # follow-ups from review: explicit values, wrappers, reverse option order
    ('SV201', W.replace("killasgroup=true", "killasgroup=false"),
     (7, 13), 'warning', 'a Celery prefork worker forks child processes, but killasgroup=false: '),
    ('SV202', "[program:web]\ncommand=/bin/sh -c \"cd /srv && gunicorn app:app\"\nuser=web\nkillasgroup=false\n",
     (4, 13), 'error', 'the command runs through sh -c without exec, which does not pass the s'),
    ('SV203', W.replace("killasgroup=true", "stopasgroup=true").replace("/srv/app/venv/bin/celery -A proj worker", "/bin/sh -c \"cd /srv/app && /srv/app/venv/bin/celery -A proj worker\""),
     (7, 13), 'error', 'stopasgroup=true sends TERM to the whole process group: the prefork po'),
    ('SV204', W.replace("autorestart=true", "autorestart=unexpected"),
     (5, 13), 'warning', 'autorestart=unexpected: a worker that exits with status 0 (a remote sh'),
    ('SV208', W + "stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n",
     (9, 16), 'warning', 'stdout goes to /dev/stdout but stderr to an AUTO file in childlogdir t'),
    ('SV212', W.replace("/srv/app/venv/bin/celery -A proj worker", "python -m celery -A proj worker"),
     (2, 9), 'warning', 'python is a bare name: supervisord looks it up on its own PATH (or PAT'),
    ('SV214', "[program:flower]\ncommand=/srv/app/venv/bin/celery -A proj flower --address=127.0.0.1\ndirectory=/srv/app\nuser=celery\nautorestart=true\numask=022\nstopsignal=KILL\n",
     (7, 12), 'warning', 'stopsignal=KILL kills the program without any chance to shut down clea'),
    ('SV401', W.replace("celery -A proj worker", "celery -l INFO -A proj worker"),
     (2, 9), 'error', 'celery -l worker: -l belongs to the worker subcommand, and Celery 5 re'),
    ('SV406', W.replace("/srv/app/venv/bin/celery -A proj worker", "/usr/bin/python3 -m celery -A proj worker") + "environment=VIRTUAL_ENV=\"/srv/app/venv\"\n",
     (2, 9), 'warning', '/usr/bin/python3 -m celery runs the system interpreter: it imports the'),
]


@pytest.mark.parametrize("code,text,where,severity,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, severity, message):
    # --extend-select: the opt-in rules (SV205) run only when asked for
    diags = [d for d in lint_text(text, tmp_path, args=["--extend-select", code])
             if d["code"] == code]
    assert diags, "no %s in %r" % (code, text)
    first = diags[0]
    assert (first["line"], first["column"], first["severity"]) == where + (severity,)
    assert first["message"].startswith(message), first["message"]
    assert first["fatal"] is False


BEAT = ("[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/sched\n"
        "directory=/srv/app\nuser=celery\nautorestart=true\numask=022\n")

TWINS = [
    W,                                                               # killasgroup=true only
    W.replace("killasgroup=true", "stopasgroup=true\nstopsignal=INT"),
    W.replace("worker\n", "worker --pool=solo\n", 1).replace("killasgroup=true\n", ""),
    W.replace("worker\n", "worker -P gevent -c 100\n", 1).replace("killasgroup=true\n", ""),
    W.replace("/srv/app/venv/bin/celery -A proj worker",
              "/bin/sh -c \"cd /srv/app && exec /srv/app/venv/bin/celery -A proj worker\""),
    W + BEAT,
    W + "redirect_stderr=true\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n",
    W + "environment=CELERY_BROKER_URL=\"redis://redis:6379/0\",SECRET_KEY_FILE=\"/run/secrets/k\"\n",
    "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\n"
    "password={SHA}0123456789abcdef0123456789abcdef01234567\n",
    "[unix_http_server]\nfile=/run/supervisor.sock\nchmod=0700\n",
]


@pytest.mark.parametrize("text", TWINS)
def test_clean_twin_is_silent(tmp_path, text):
    assert lint_text(text, tmp_path) == []


def test_numbered_workers_with_their_own_node_names_are_clean(tmp_path):
    text = W.replace("worker\n", "worker -n w%(process_num)02d@%%h\n", 1) + \
        "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n"
    assert lint_text(text, tmp_path) == []


def test_examples_celery_good_is_clean():
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                        "celery-good")
    status, diags, err = lint_json([root])
    assert (status, diags, err) == (0, [], "")


def apply(text, fix):
    data = text.encode()
    for edit in sorted(fix["edits"], key=lambda e: -e["start"]):
        data = data[:edit["start"]] + edit["replacement"].encode() + data[edit["end"]:]
    return data.decode()


def fix_of(tmp_path, text, code):
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == code]
    return d["fix"]


def test_added_key_goes_after_the_last_key_in_the_section_style(tmp_path):
    text = ("[program:worker]\r\ncommand = /srv/app/venv/bin/celery -A proj worker\r\n"
            "directory = /srv/app\r\nuser = celery\r\nautorestart = true\r\nstopwaitsecs = 600\r\n"
            "umask = 022\r\n\r\n; the next one\r\n[program:other]\r\ncommand = /bin/true\r\n"
            "user = nobody\r\n")
    fix = fix_of(tmp_path, text, "SV201")
    assert fix["applicability"] == "safe"
    assert apply(text, fix) == text.replace("umask = 022\r\n", "umask = 022\r\nkillasgroup = true\r\n")


def test_added_key_in_a_file_without_final_newline(tmp_path):
    text = W.replace("killasgroup=true\n", "").rstrip("\n")
    fix = fix_of(tmp_path, text, "SV201")
    assert apply(text, fix) == text + "\nkillasgroup=true"


def test_sv203_fix_adds_int_or_replaces_term(tmp_path):
    text = W.replace("killasgroup=true", "stopasgroup=true")
    fix = fix_of(tmp_path, text, "SV203")
    assert (fix["applicability"], apply(text, fix)) == ("safe", text + "stopsignal=INT\n")
    text = W.replace("killasgroup=true", "stopasgroup=true\nstopsignal=TERM")
    fix = fix_of(tmp_path, text, "SV203")
    assert (fix["applicability"], apply(text, fix)) == (
        "unsafe", text.replace("stopsignal=TERM", "stopsignal=INT"))


def test_sv401_fix_moves_the_app_option(tmp_path):
    text = W.replace("celery -A proj worker", "celery worker -A proj --loglevel=INFO")
    fix = fix_of(tmp_path, text, "SV401")
    assert fix["applicability"] == "safe"
    assert apply(text, fix) == W.replace("celery -A proj worker", "celery -A proj worker --loglevel=INFO")


def test_no_fix_when_supervisord_would_refuse_it(tmp_path):
    # stopasgroup=true next to killasgroup=false is refused: SV202 offers no fix
    text = "[program:web]\ncommand=/bin/sh -c \"cd /srv && ./serve\"\nuser=web\nkillasgroup=false\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV202"]
    assert d["fix"] is None


def test_sv211_fix_drops_detach(tmp_path):
    text = W.replace("worker\n", "worker --detach --loglevel=INFO\n", 1)
    fix = fix_of(tmp_path, text, "SV211")
    assert (fix["applicability"], apply(text, fix)) == (
        "unsafe", W.replace("worker\n", "worker --loglevel=INFO\n", 1))


def test_secret_values_never_appear_in_any_output(tmp_path):
    text = W.replace("worker\n", "worker -b amqp://u:Sup3rS3cret@mq// --password=Hunter2x\n", 1) + \
        "environment=AWS_SECRET_ACCESS_KEY=\"AKIAwhatever9\",DB_PASSWORD=\"pa55word\"\n"
    path = tmp_path / "w.conf"
    path.write_text(text)
    status, diags, err = lint_json([str(path)])
    assert {d["code"] for d in diags} >= {"SV306"}
    out = repr(diags)
    for secret in ("Sup3rS3cret", "Hunter2x", "AKIAwhatever9", "pa55word"):
        assert secret not in out


def test_celery_hint_on_unescaped_percent(tmp_path):
    diags = lint_text(W.replace("worker\n", "worker -n w1@%h\n", 1), tmp_path)
    (d,) = [d for d in diags if d["code"] == "SV105"]
    assert d["fatal"] and "%%h" in d["message"] and "Celery" in d["message"]


# -- command understanding -------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("/srv/venv/bin/celery -A proj worker -P solo -c 4",
     {"sub": "worker", "app": "proj", "pool": "solo", "forks": False, "wrappers": []}),
    ("celery worker -A proj -B", {"sub": "worker", "app": "proj", "pool": "prefork", "beat": True,
                                  "globals_after": ["-A"]}),
    ("/bin/sh -c 'cd /srv && exec /srv/venv/bin/celery --app=proj beat -s /tmp/s'",
     {"sub": "beat", "app": "proj", "wrappers": ["sh -c"], "execs": True, "beat": True}),
    ("/usr/bin/env DJANGO_SETTINGS_MODULE=x uv run celery -A proj worker --pool=threads",
     {"sub": "worker", "pool": "threads", "wrappers": ["env", "uv run"]}),
    ("/srv/venv/bin/python -m celery -A proj worker", {"sub": "worker", "module": "celery",
                                                       "wrappers": ["python -m"]}),
    ("python manage.py celery worker -B", {"sub": "worker", "removed": "manage.py celery",
                                           "beat": True}),
    ("/srv/venv/bin/celeryd -B", {"sub": "worker", "removed": "celeryd", "beat": True}),
    ("bash -c \"source /srv/venv/bin/activate; celery -A p worker | tee x\"",
     {"sub": None, "program": "tee", "execs": False, "pipeline": True}),
])
def test_command_understanding(text, expected):
    cmd = command.parse(text)
    cel = cmd.celery or command.Celery()
    got = {"sub": cel.subcommand, "app": cel.app, "pool": cel.pool, "forks": cel.forks,
           "beat": cel.runs_beat, "wrappers": cmd.wrappers, "execs": cmd.script_execs,
           "pipeline": cmd.script_pipeline, "module": cmd.module, "removed": cel.removed,
           "globals_after": [t for _, t in cel.globals_after], "program": cmd.program}
    assert {k: got[k] for k in expected} == expected


def test_unbalanced_quotes_give_no_argv():
    cmd = command.parse('/bin/sh -c "echo')
    assert cmd.argv is None and cmd.error == "No closing quotation" and cmd.celery is None


def _corpus_commands():
    from supervisor_lint import reader
    if not os.path.isdir(CORPUS):
        return []
    found = []
    for name in sorted(os.listdir(CORPUS)):
        if name.endswith((".conf", ".ini")):
            with open(os.path.join(CORPUS, name), "rb") as fh:
                doc = reader.parse(fh.read(), name)
            found.extend((name, e.value) for e in doc.entries if e.key == "command")
    return found


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus/real is absent")
def test_every_corpus_command_is_understood():
    import shlex
    commands = _corpus_commands()
    assert len(commands) > 150
    celery_programs = 0
    for name, text in commands:
        cmd = command.parse(text)
        try:
            argv = shlex.split(text)
        except ValueError:
            assert cmd.argv is None
            continue
        assert cmd.argv == argv
        assert cmd.inner and cmd.executable_kind in ("absolute", "relative", "bare", "tilde")
        if cmd.celery is not None:
            celery_programs += 1
            assert cmd.celery.subcommand, (name, text)
            assert cmd.program in ("celery", "manage.py", "celeryd", "celerybeat", "celery.exe") \
                or cmd.celery.removed, (name, text)
    # the corpus holds 81 Celery programs by the reference catalog's own count
    assert celery_programs >= 78


def test_supervisord_messages_quoting_values_are_redacted(tmp_path):
    text = ("[program:web]\ncommand=/bin/true\nuser=web\n"
            "environment=DATABASE_URL=postgres://app:Sup3rS3cret@db/x,DB_PASSWORD=pa55word\n")
    diags = lint_text(text, tmp_path)
    (d,) = [d for d in diags if d["code"] == "SV107"]
    assert d["message"].startswith("environment: supervisord refuses to load: Unexpected end "
                                   "of key/value pairs (the value holds a secret; not shown).")
    assert "Sup3rS3cret" not in repr(diags) and "pa55word" not in repr(diags)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -=%/\t\r\n\"'\\\\\x0b\xa0#")), max_size=40))
def test_command_split_equals_shlex(text):
    import shlex
    try:
        expected = (shlex.split(text), None)
    except ValueError as exc:
        expected = (None, str(exc))
    assert command.split(text) == expected


def test_pool_index_does_not_make_node_names_unique(tmp_path):
    # Celery's %i/%I are the pool process index: 0/empty in the node name of
    # every copy, so only %(process_num) tells numprocs copies apart
    text = W.replace("worker\n", "worker -n w%%i@%%h\n", 1) + \
        "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV405"]
    assert d["message"].startswith("numprocs=2 workers share the node name w%i@%h")


def test_opt_in_rule_runs_only_when_selected(tmp_path):
    text = W.replace("umask=022\n", "")
    assert lint_text(text, tmp_path) == []
    assert [d["code"] for d in lint_text(text, tmp_path, args=["--extend-select", "SV205"])] \
        == ["SV205"]
    assert [d["code"] for d in lint_text(text, tmp_path, args=["--select", "missing-umask"])] \
        == ["SV205"]
