"""The process-hygiene rules (SV2xx): each fires on the right line of its own
cases and stays silent on the clean twins; their fixes add keys in the
section's own style."""

import pytest

from cases import BEAT, W, apply, case, fix_of
from support import lint_text


CASES = [
    # code, config, (line, column), severity, start of the message
    ('SV201', W.replace("killasgroup=true\n", ""),
     (1, 1), 'info', 'neither killasgroup nor stopasgroup is set for a Celery prefork worker'),
    ('SV201', "[program:web]\ncommand=/srv/app/venv/bin/uwsgi --ini /srv/app/uwsgi.ini\nuser=www-data\nautorestart=true\n",
     (1, 1), 'warning', 'uwsgi forks child processes, but neither killasgroup nor stopasgroup '),
    ('SV201', "[program:api]\ncommand=/srv/app/venv/bin/uvicorn app:app --workers=4\nuser=www-data\nautorestart=true\n",
     (1, 1), 'warning', 'uvicorn --workers forks child processes, but neither killasgroup nor s'),
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
     (2, 9), 'warning', "nginx stays in the foreground only if /etc/nginx/nginx.conf says `dae"),
    ('SV211', "[program:fpm]\ncommand=php-fpm8.2 --fpm-config /etc/php/fpm.conf\n",
     (2, 9), 'warning', "php-fpm8.2 stays in the foreground only if /etc/php/fpm.conf says `da"),
    ('SV202', "[program:web]\ncommand=/srv/venv/bin/python manage.py runserver_plus 0:8000\nuser=web\n",
     (1, 1), 'error', "the command runs through manage.py runserver_plus's autoreloader, whic"),
    ('SV211', "[program:db]\ncommand=service mysql start\n",
     (2, 9), 'error', 'service mysql start starts the daemon through the init system and ret'),
    ('SV211', "[program:x]\ncommand=/usr/sbin/xinetd -stayalive\n",
     (2, 9), 'error', 'xinetd daemonizes unless started with -dontfork: its first process ex'),
    ('SV217', "[program:w]\ncommand = /Volumes/My Drive/venv/bin/celery -A p worker\n",
     (2, 11), 'error', "the program's path is cut at a blank: supervisord splits the command "),
    ('SV211', "[program:sshd]\ncommand=/usr/sbin/sshd\n",
     (2, 9), 'error', "sshd daemonizes unless started with -D: its first process exits, supe"),
    ('SV202', "[program:app]\ncommand=bash start.sh\ndirectory=/srv/app\nuser=app\n",
     (1, 1), 'warning', 'the command runs through the shell script start.sh: the shell gets th'),
    ('SV202', "[program:app]\ncommand=/bin/bash ./x.sh\ndirectory=/srv/app\nuser=app\n",
     (1, 1), 'warning', 'the command runs through the shell script x.sh: the shell gets the st'),
    ('SV202', "[program:worker]\ncommand=sh /srv/app/run_celery.sh\nuser=app\n",
     (2, 9), 'warning', 'the command runs Celery through the shell script run_celery.sh: the sh'),
    ('SV202', "[program:web]\ncommand=/srv/venv/bin/django-admin.py runserver 0:8000\n"
              "user=app\n",
     (1, 1), 'error', "the command runs through django-admin.py runserver's autoreloader, whi"),
    ('SV215', "[program:web]\ncommand=/srv/app/venv/bin/uwsgi --ini /srv/app/uwsgi.ini\n"
              "user=www-data\nautorestart=true\nkillasgroup=true\n",
     (2, 9), 'info', 'uWSGI answers the stop signal TERM with a brutal reload of all its work'),
    ('SV216', "[unix_http_server]\nfile=run/supervisor.sock\n\n[supervisord]\n"
              "logfile=/var/log/supervisor/supervisord.log\n",
     (2, 6), 'warning', 'file=run/supervisor.sock is relative: supervisord creates the socket i'),
    ('SV212', W.replace("/srv/app/venv/bin/celery", "celery"),
     (2, 9), 'warning', 'celery is a bare name: supervisord looks it up on its own PATH (or PAT'),
    ('SV213', W.replace("/srv/app/venv/bin/celery", "venv/bin/celery"),
     (2, 9), 'error', 'venv/bin/celery is relative: supervisord resolves it against its own w'),
    ('SV214', "[program:web]\ncommand=/usr/bin/node /srv/web/server.js\nuser=web\nstopsignal=KILL\n",
     (4, 12), 'warning', 'stopsignal=KILL kills the program without any chance to shut down clea'),
    ('SV201', W.replace("killasgroup=true", "killasgroup=false"),
     (7, 13), 'info', 'killasgroup=false: when stopwaitsecs runs out supervisord SIGKILLs onl'),
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
]


@pytest.mark.parametrize("code,text,where,severity,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, severity, message):
    # --extend-select: the opt-in rules (SV205) run only when asked for
    case(tmp_path, code, text, where, severity, message)


TWINS = [
    W,                                                               # killasgroup=true only,
    W.replace("killasgroup=true", "stopasgroup=true\nstopsignal=INT"),
    W.replace("worker\n", "worker --pool=solo\n", 1).replace("killasgroup=true\n", ""),
    W.replace("worker\n", "worker -P gevent -c 100\n", 1).replace("killasgroup=true\n", ""),
    W.replace("/srv/app/venv/bin/celery -A proj worker",
              "/bin/sh -c \"cd /srv/app && exec /srv/app/venv/bin/celery -A proj worker\""),
    W + BEAT,
    W + "redirect_stderr=true\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n",
    W + "environment=CELERY_BROKER_URL=\"redis://redis:6379/0\",SECRET_KEY_FILE=\"/run/secrets/k\"\n",
    # the client and the server agree, through %(here)s too
    "[unix_http_server]\nfile=%(here)s/supervisor.sock\nchmod=0700\n\n[supervisord]\n"
    "logfile=/var/log/supervisor/supervisord.log\n\n[supervisorctl]\n"
    "serverurl=unix://%(here)s/supervisor.sock\n\n"
    "[rpcinterface:supervisor]\n"
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
    # uWSGI told to die on TERM, or stopped with another signal
    "[program:web]\ncommand=/srv/app/venv/bin/uwsgi --http :8000 --master --die-on-term\n"
    "user=www-data\nautorestart=true\nkillasgroup=true\n",
    "[program:web]\ncommand=/srv/app/venv/bin/uwsgi --http :8000 --master\nstopsignal=INT\n"
    "user=www-data\nautorestart=true\nkillasgroup=true\n",
    # gunicorn's workers exit when their master dies; one uvicorn worker does not fork
    "[program:web]\ncommand=/srv/app/venv/bin/gunicorn -w 4 app:app\nuser=www-data\n"
    "autorestart=true\n",
    "[program:api]\ncommand=/srv/app/venv/bin/uvicorn app:app --workers 1\nuser=www-data\n"
    "autorestart=true\n",
    # the common listener that stops supervisord is itself the script
    "[eventlistener:stop-supervisor]\ncommand=bash /srv/stop-supervisor.sh\n"
    "events=PROCESS_STATE_FATAL\nuser=app\n",
    "[program:web]\ncommand=/srv/venv/bin/django-admin.py runserver --noreload 0:8000\n"
    "user=app\nautorestart=true\n",
]


@pytest.mark.parametrize("text", TWINS)
def test_clean_twin_is_silent(tmp_path, text):
    assert lint_text(text, tmp_path) == []


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


def test_opt_in_rule_runs_only_when_selected(tmp_path):
    text = W.replace("umask=022\n", "")
    assert lint_text(text, tmp_path) == []
    assert [d["code"] for d in lint_text(text, tmp_path, args=["--extend-select", "SV205"])] \
        == ["SV205"]
    assert [d["code"] for d in lint_text(text, tmp_path, args=["--select", "missing-umask"])] \
        == ["SV205"]


def test_a_path_that_starts_with_an_unknown_expansion_is_not_relative(tmp_path):
    """%(ENV_HOME)s/.virtualenvs/x/bin/python: the variable is supervisord's to
    set (SV105 says so); the path it starts is not judged as relative."""
    text = W.replace("/srv/app/venv/bin/celery", "%(ENV_HOME)s/.virtualenvs/x/bin/celery")
    diags = lint_text(text, tmp_path)
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("SV105", 2, 9)]
    # a relative path after the expansion's place is still one
    text = W.replace("/srv/app/venv/bin/celery", "venv/bin/celery --x=%(ENV_HOME)s")
    assert "SV213" in [d["code"] for d in lint_text(text, tmp_path)]


def test_sv217_quotes_the_cut_path_as_written(tmp_path):
    text = "[program:x]\ncommand=/Users/A B/My  Projects/venv/bin/python manage.py run\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV217"]
    assert d["message"] == (
        "the program's path is cut at a blank: supervisord splits the command at blanks, so it "
        "runs /Users/A with B/My as its first argument and fails at every start (\"can't find "
        "command\"); quote the path: \"/Users/A B/My  Projects/venv/bin/python\"")
    fix = fix_of(tmp_path, text, "SV217")
    assert (fix["applicability"], apply(text, fix)) == (
        "safe", '[program:x]\ncommand="/Users/A B/My  Projects/venv/bin/python" manage.py run\n')
    # twins: paths that are whole, arguments that are paths, options among the words
    for command in ('"/Volumes/My Drive/venv/bin/celery" -A p worker', "/opt/app/run data/x",
                    "/usr/bin/python my dir/x.py", "/opt/My -x Drive/bin/celery",
                    "/srv/run.sh logs/bin/x"):
        text = "[program:x]\ncommand=%s\n" % command
        assert "SV217" not in [d["code"] for d in lint_text(text, tmp_path)], command


def test_both_streams_to_dev_stdout_are_no_two_rotating_handles(tmp_path):
    """Precision run: stdout_logfile and stderr_logfile both /dev/stdout are
    one stream, not a file two handles rotate (SV209 says what is wrong)."""
    text = "[program:web]\ncommand=/srv/web\nuser=web\nstdout_logfile=/dev/stdout\n" \
           "stderr_logfile=/dev/stdout\n"
    codes = [d["code"] for d in lint_text(text, tmp_path, args=["--select", "SV208,SV209"])]
    assert codes == ["SV209", "SV209"]


def test_daemons_in_the_foreground_are_not_daemonizing(tmp_path):
    for command in ("/usr/sbin/xinetd -dontfork", "/usr/sbin/cron -f", "/usr/sbin/crond -n",
                    "/usr/sbin/rsyslogd -n", "/usr/sbin/syslog-ng -F", "/usr/sbin/smbd -F",
                    "service --status-all"):
        text = "[program:d]\ncommand=%s\n" % command
        assert lint_text(text, tmp_path, args=["--select", "SV211"]) == [], command


def test_envdir_is_looked_through(tmp_path):
    """Precision run: envdir DIR cmd hid a removed Celery command."""
    text = "[program:w]\ncommand=envdir /srv/env /srv/venv/bin/python manage.py celeryd\n" \
           "directory=/srv/app\nuser=app\n"
    assert "SV407" in [d["code"] for d in lint_text(text, tmp_path)]


def test_a_bare_name_in_an_image_without_a_virtualenv_is_info(tmp_path):
    """Precision run: 13 bare names were debatable, all in images that pip
    install into the system's Python (nodaemon=true, no virtualenv named)."""
    image = "[supervisord]\nnodaemon=true\n[program:w]\ncommand=celery -A proj worker\n" \
            "directory=/app\nuser=app\n"
    (d,) = [d for d in lint_text(image, tmp_path) if d["code"] == "SV212"]
    assert (d["severity"], d["line"]) == ("info", 4)
    # another program names a virtualenv: the bare one is a warning naming it
    text = image + "[program:b]\ncommand=/opt/venv/bin/celery -A proj beat\ndirectory=/app\n" \
                   "user=app\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV212"]
    assert (d["severity"], d["message"][-50:]) == (
        "warning", "write its absolute path, e.g. /opt/venv/bin/celery")


def test_missing_umask_by_what_is_inherited(tmp_path):
    """Issue 14, item 4: a warning when the inherited umask lets group or
    others write, info when it is not known, nothing when it is safe."""
    base = "[program:a]\ncommand=/srv/a\nuser=a\n"
    for head, expected in (("[supervisord]\numask=002\n", [("warning", 3)]),
                           ("[supervisord]\numask=000\n", [("warning", 3)]),
                           ("[supervisord]\numask=022\n", []),
                           ("[supervisord]\numask=002\nnodaemon=true\n", [("info", 4)]),
                           ("", [("info", 1)])):
        diags = lint_text(head + base, tmp_path, args=["--select", "SV205"])
        assert [(d["severity"], d["line"]) for d in diags] == expected, head
    (d,) = lint_text("[supervisord]\numask=002\n" + base, tmp_path, args=["--select", "SV205"])
    assert d["message"] == ("no umask: files this program creates inherit [supervisord] umask "
                            "(002), which lets its group write them; add umask=022 unless a "
                            "shared group must")
    assert d["fix"]["applicability"] == "unsafe"
    # opt-in under check, on with --preset strict
    assert "SV205" not in [d["code"] for d in lint_text(base, tmp_path)]
    assert "SV205" in [d["code"] for d in lint_text(base, tmp_path, args=["--preset", "strict"])]


def test_one_list_of_virtualenv_directories_for_path_and_commands(tmp_path):
    """SV212 takes the same directories as a virtualenv in environment=PATH
    and in another program's command (.env too, which only PATH knew)."""
    base = "[program:w]\ncommand=gunicorn app:app\ndirectory=/srv/app\nuser=app\n"
    for venv in ("/srv/app/.env", "/srv/app/venv", "/home/app/.virtualenvs/site",
                 "/opt/conda/envs/site", "/root/.cache/pypoetry/virtualenvs/site-x1"):
        other = "[program:b]\ncommand=%s/bin/celery -A proj worker\ndirectory=/srv/app\n" \
                "user=app\n" % venv
        (d,) = [d for d in lint_text(base + other, tmp_path) if d["code"] == "SV212"]
        assert d["message"].endswith("e.g. %s/bin/gunicorn" % venv), venv
        on_path = base.replace("user=app\n", "user=app\nenvironment=PATH=\"%s/bin:/usr/bin\"\n"
                               % venv)
        assert [d for d in lint_text(on_path, tmp_path) if d["code"] == "SV212"] == [], venv
