"""Adversarial checks of issue 12's new behaviour: SV217 (a program path cut
at a blank), SV411/SV401 (Celery options), Celery recognised by its
arguments, SV403/SV404 for rq/dramatiq/huey, SV211 for nginx/php-fpm and
fragments linted together per directory.

Ground truth used: supervisor 4.3.0's own parser + shlex.split (what
supervisord execs), Celery 5.7's click CLI run for real, huey's sources
(huey 3.5's consumer: -g/--graceful-signal INT (default) or TERM, the other
one interrupts), php-src's fpm_conf.c (-D/-F
override `daemonize`, pool sections reject global entries, `;` starts a
comment anywhere in an INI line) and nginx's ngx_process_options (a relative
-c is taken from the prefix, not the working directory)."""

import shlex

import pytest

from support import lint_json, lint_text


def _codes(diags, code):
    return [d for d in diags if d["code"] == code]


def _apply(data, fix):
    for edit in sorted(fix["edits"], key=lambda e: e["start"], reverse=True):
        data = data[:edit["start"]] + edit["replacement"].encode("utf-8") + data[edit["end"]:]
    return data


def _argv_after_fix(tmp_path, text):
    """The argv supervisord would exec after SV217's fix: supervisor's own
    config parser, then shlex.split (as Subprocess.get_execv_args does)."""
    from supervisor.options import UnhosedConfigParser
    (d,) = _codes(lint_text(text, tmp_path, args=["--select", "SV217"]), "SV217")
    assert d["fix"] is not None and d["fix"]["applicability"] == "safe"
    fixed = _apply(text.encode("utf-8"), d["fix"])
    out = tmp_path / "fixed.conf"
    out.write_bytes(fixed)
    parser = UnhosedConfigParser()
    parser.read(str(out))
    return shlex.split(parser.get("program:x", "command"))


# --------------------------------------------------------------------- SV217

@pytest.mark.parametrize("command, path", [
    ("/Volumes/My Drive/venv/bin/celery -A p worker", "/Volumes/My Drive/venv/bin/celery"),
    ("/Volumes/My\tDrive/venv/bin/celery -A p worker", "/Volumes/My\tDrive/venv/bin/celery"),
    ("/Volumes/My Drive/venv/bin/celery -A p worker ; a comment",
     "/Volumes/My Drive/venv/bin/celery"),
    ("   /Volumes/My Drive/venv/bin/celery -A \"p\" worker", "/Volumes/My Drive/venv/bin/celery"),
    ("/Users/John Smith/Library/Application Support/venv/bin/python -m app",
     "/Users/John Smith/Library/Application Support/venv/bin/python"),
    ("/Volumes/M\u00e9 Drive/venv/bin/celery -A p worker", "/Volumes/M\u00e9 Drive/venv/bin/celery"),
])
def test_sv217_fix_gives_supervisord_the_whole_path(tmp_path, command, path):
    argv = _argv_after_fix(tmp_path, "[program:x]\ncommand=%s\n" % command)
    assert argv[0] == path


def test_sv217_continuation_is_reported_without_a_fix(tmp_path):
    text = "[program:x]\ncommand=/Volumes/My\n   Drive/venv/bin/celery -A p worker\n"
    (d,) = _codes(lint_text(text, tmp_path, args=["--select", "SV217"]), "SV217")
    assert (d["line"], d["fix"]) == (2, None)


def test_sv217_program_outside_bin_with_a_relative_bin_argument(tmp_path):
    for command in ("/usr/libexec/platform-python app/bin/run.py",
                    "/opt/tool data/bin/x",
                    "/opt/node/node node_modules/pm2/bin/pm2 start"):
        text = "[program:x]\ncommand=%s\ndirectory=/srv/app\n" % command
        assert _codes(lint_text(text, tmp_path, args=["--select", "SV217"]), "SV217") == [], \
            command


# --------------------------------------------------------------------- SV411

def _sv411(tmp_path, args, sub="worker"):
    text = ("[program:w]\ncommand=/srv/venv/bin/celery %s\ndirectory=/srv\nuser=x\n"
            "stopwaitsecs=600\nautorestart=true\nkillasgroup=true\n" % args)
    return [d["message"] for d in lint_text(text, tmp_path, args=["--select", "SV411"])]


def test_sv411_claims_that_match_celery(tmp_path):
    # measured: `-Q -E` starts (a queue named -E); `--logfile -n w1` exits with
    # "Unable to parse extra configuration from command line"
    (m,) = _sv411(tmp_path, "-A proj worker -Q -E")
    assert "the program starts with -Q set to '-E'" in m
    (m,) = _sv411(tmp_path, "-A proj worker --logfile -n w1")
    assert 'Unable to parse extra configuration from command line' in m


def test_sv411_left_over_before_the_subcommand_is_the_subcommand(tmp_path):
    (m,) = _sv411(tmp_path, "-A -b redis:// worker")
    assert "No such command 'redis://'" in m and "Unable to parse" not in m
    (m,) = _sv411(tmp_path, "-b -A proj worker")
    assert "No such command 'proj'" in m and "Unable to parse" not in m


def test_sv411_typed_option_values_are_rejected(tmp_path):
    for args, option in (("-A proj worker -c -l info", "-c"),
                         ("-A proj worker -P -c 4", "-P"),
                         ("-A proj worker -O -l info", "-O"),
                         ("-A proj worker --time-limit -E", "--time-limit"),
                         ("-A proj worker --max-tasks-per-child -E", "--max-tasks-per-child")):
        (m,) = _sv411(tmp_path, args)
        assert "Invalid value" in m, args
        assert "Unable to parse" not in m and "the program starts" not in m, args


def test_sv411_word_left_over_after_a_swallowed_flag(tmp_path):
    (m,) = _sv411(tmp_path, "-A proj worker -n -E w1")
    assert "the program starts" not in m
    assert "Unable to parse extra configuration" in m


def test_sv411_events_left_over(tmp_path):
    (m,) = _sv411(tmp_path, "-A proj events --logfile -c x")
    assert "unexpected extra argument" in m


def test_sv411_workdir_swallowing_does_not_start(tmp_path):
    (m,) = _sv411(tmp_path, "-A proj --workdir -q worker")
    assert "the program starts" not in m


# --------------------------------------------------------------------- SV401

def _sv401(tmp_path, args):
    text = ("[program:w]\ncommand=/srv/venv/bin/celery %s\ndirectory=/srv\nuser=x\n"
            "stopwaitsecs=600\nautorestart=true\nkillasgroup=true\n" % args)
    return [d["message"] for d in lint_text(text, tmp_path, args=["--select", "SV401"])]


def test_sv401_worker_flags_before_the_subcommand(tmp_path):
    # measured: "No such option '--beat'", "No such option '-l'"
    for args, opt in (("--beat -A proj worker", "--beat"), ("-l info -A proj worker", "-l"),
                      ("-A proj -E worker", "-E"), ("-A proj -l info beat", "-l")):
        (m,) = _sv401(tmp_path, args)
        assert m.startswith("celery %s " % opt), args


def test_sv401_attached_worker_value_before_the_subcommand(tmp_path):
    for args in ("-A proj -linfo worker", "-A proj -c4 worker", "-A proj -Pgevent worker"):
        assert len(_sv401(tmp_path, args)) == 1, args


def test_sv401_worker_option_before_multi(tmp_path):
    assert len(_sv401(tmp_path, "-A proj --pool solo multi start w1")) == 1


def test_sv401_does_not_claim_an_option_for_a_subcommand_without_it(tmp_path):
    (m,) = _sv401(tmp_path, "-A proj -n w1 events")
    assert "belongs to the events subcommand" not in m


# ------------------------------------------------- Celery by its arguments

def test_other_programs_with_dash_a_and_worker_are_not_celery(tmp_path):
    for command in ("/srv/venv/bin/faust -A proj worker -l info",
                    "/srv/venv/bin/procrastinate --app=proj.app worker",
                    "/usr/bin/ssh -A jump worker"):
        text = "[program:x]\ncommand=%s\ndirectory=/srv\nuser=x\nautorestart=true\n" % command
        found = {d["code"] for d in lint_text(text, tmp_path)}
        assert not found & {"SV201", "SV403", "SV405", "SV408"}, (command, found)


# ------------------------------------------------ SV403/SV404 other workers

def _jobs(tmp_path, command, extra=""):
    text = "[program:jobs]\ncommand=/srv/venv/bin/%s\nuser=app\nautorestart=true\n%s" % (
        command, extra)
    return [(d["code"], d["message"])
            for d in lint_text(text, tmp_path, args=["--select", "SV403,SV404"])]


def test_job_workers_right_verdicts(tmp_path):
    # huey: TERM is the immediate shutdown, INT the graceful one (huey docs/consumer.rst)
    assert [c for c, _ in _jobs(tmp_path, "huey_consumer app.huey -w 4")] == ["SV404"]
    assert _jobs(tmp_path, "huey_consumer app.huey", "stopsignal=INT\nstopwaitsecs=600\n") == []
    assert [c for c, _ in _jobs(tmp_path, "python -m dramatiq app.tasks")] == ["SV403"]
    assert [c for c, _ in _jobs(tmp_path, "rq worker high")] == ["SV403"]


# --------------------------------------------------------------------- SV211

MAIN = "[supervisord]\nnodaemon=true\n[include]\nfiles=conf.d/*.conf\n"


def _audit(tmp_path, programs, files):
    root = tmp_path / "root"
    (root / "etc/supervisor/conf.d").mkdir(parents=True)
    (root / "etc/supervisor/supervisord.conf").write_text(MAIN)
    (root / "etc/supervisor/conf.d/p.conf").write_text(programs)
    for name, data in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data)
    status, diags, err = lint_json(["--root", str(root), "/etc/supervisor/supervisord.conf",
                                    "--select", "SV211", "--isolated"], command="audit")
    return diags


def test_sv211_audit_right_verdicts(tmp_path):
    # the official php image: daemonize = no in an include relative to the prefix
    diags = _audit(tmp_path, "[program:fpm]\ncommand=/usr/local/sbin/php-fpm\n", {
        "/usr/local/etc/php-fpm.conf": "[global]\ninclude=etc/php-fpm.d/*.conf\n",
        "/usr/local/etc/php-fpm.d/zz-docker.conf": "[global]\ndaemonize = no\n[www]\nlisten = 9000\n"})
    assert diags == []
    diags = _audit(tmp_path / "b", "[program:nginx]\ncommand=/usr/sbin/nginx\n", {
        "/etc/nginx/nginx.conf": "# daemon off;\nevents {}\n"})
    assert [(d["code"], d["severity"]) for d in diags] == [("SV211", "error")]


def test_sv211_php_fpm_inline_comment(tmp_path):
    diags = _audit(tmp_path, "[program:fpm]\ncommand=/usr/sbin/php-fpm8.1\n", {
        "/etc/php/8.1/fpm/php-fpm.conf":
            "[global]\npid = /run/php/php8.1-fpm.pid\ndaemonize = no ; for supervisord\n"})
    assert diags == []


def test_sv211_php_fpm_dash_d_daemonizes(tmp_path):
    diags = _audit(tmp_path, "[program:fpm]\ncommand=/usr/local/sbin/php-fpm -D\n", {
        "/usr/local/etc/php-fpm.conf": "[global]\ndaemonize = no\n"})
    assert [(d["code"], d["severity"]) for d in diags] == [("SV211", "error")]
    diags = lint_text("[program:fpm]\ncommand=/usr/sbin/php-fpm8.2 -D\n", tmp_path,
                      args=["--select", "SV211"])
    assert [(d["code"], d["severity"]) for d in diags] == [("SV211", "error")]


def test_sv211_php_fpm_daemonize_in_a_pool_section(tmp_path):
    diags = _audit(tmp_path, "[program:fpm]\ncommand=/usr/sbin/php-fpm8.2\n", {
        "/etc/php/8.2/fpm/php-fpm.conf":
            "[global]\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
        "/etc/php/8.2/fpm/pool.d/www.conf": "[www]\nuser = www-data\ndaemonize = no\n"})
    assert [d["code"] for d in diags] == ["SV211"]


def test_sv211_nginx_daemon_off_inside_a_string(tmp_path):
    diags = _audit(tmp_path, "[program:nginx]\ncommand=/usr/sbin/nginx\n", {
        "/etc/nginx/nginx.conf": 'events {}\nhttp {\n  server {\n    location / { return 200 '
                                 '"set daemon off; in your config"; }\n  }\n}\n'})
    assert [(d["code"], d["severity"]) for d in diags] == [("SV211", "error")]


def test_sv211_nginx_nested_include(tmp_path):
    diags = _audit(tmp_path, "[program:nginx]\ncommand=/usr/sbin/nginx\n", {
        "/etc/nginx/nginx.conf": "include /etc/nginx/modules-enabled/*.conf;\nevents {}\n",
        "/etc/nginx/modules-enabled/50-x.conf": "include /etc/nginx/snip/daemon.conf;\n",
        "/etc/nginx/snip/daemon.conf": "daemon off;\n"})
    assert diags == []


def test_sv211_nginx_g_with_two_blanks(tmp_path):
    diags = _audit(tmp_path, "[program:nginx]\ncommand=/usr/sbin/nginx -g \"daemon  off;\"\n", {
        "/etc/nginx/nginx.conf": "events {}\n"})
    assert diags == []


def test_sv211_nginx_relative_c_is_not_read_from_directory(tmp_path):
    diags = _audit(tmp_path, "[program:nginx]\ncommand=/usr/sbin/nginx -c rel.conf\n"
                             "directory=/srv\n", {"/srv/rel.conf": "daemon off;\nevents {}\n"})
    assert [d["code"] for d in diags] == ["SV211"]


# ----------------------------------------------------------------- fragments

def _fragments(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "a.conf").write_text("[program:web]\ncommand=/srv/venv/bin/gunicorn app:app\n"
                              "user=nobody\n")
    (d / "b.conf").write_text("[program:web]\ncommand=/srv/venv/bin/celery -A proj worker\n")
    return d


def test_fragments_with_one_section_merge_as_supervisord_does(tmp_path):
    # supervisord -c main.conf ([include] files=conf.d/*.conf) runs one program web with
    # b.conf's command and a.conf's user
    d = _fragments(tmp_path)
    status, diags, err = lint_json(["--isolated", str(d / "a.conf"), str(d / "b.conf")])
    got = {(d_["code"], d_["path"].rpartition("/")[2]) for d_ in diags}
    assert {("SV007", "b.conf"), ("SV008", "a.conf"), ("SV403", "b.conf")} <= got
    (sv008,) = [x for x in diags if x["code"] == "SV008"]
    assert "(/srv/venv/bin/celery -A proj worker)" in sv008["message"]


def test_fragment_order_does_not_depend_on_path_spelling(tmp_path):
    d = _fragments(tmp_path)
    status, diags, err = lint_json(["--isolated", str(d) + "/./b.conf", str(d / "a.conf")])
    (sv008,) = [x for x in diags if x["code"] == "SV008"]
    assert "(/srv/venv/bin/celery -A proj worker)" in sv008["message"]
    assert "SV403" in [x["code"] for x in diags]
