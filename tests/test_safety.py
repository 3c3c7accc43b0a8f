"""Safe on untrusted input: no secret printed, no file echoed, no line forged,
and --fix never touches a byte or a file it should not.  One test (at least)
per defect of the adversarial review (D1-D18), on its repro file from
../shared/repros/adversarial when it is there, and on inline cases."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import xml.dom.minidom

import pytest

from support import SHARED, run, supervisor_verdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPROS = os.path.join(SHARED, "repros", "adversarial")
FORMATS = ("text", "full", "json", "sarif", "github", "gitlab", "junit")
EXE = [sys.executable, "-m", "supervisor_lint"]


def repro(name):
    path = os.path.join(REPROS, name)
    if not os.path.exists(path):
        pytest.skip("../shared/repros/adversarial/%s is absent" % name)
    return path


def copy_repro(name, tmp_path):
    """A writable copy of a repro file or directory."""
    source = repro(name)
    target = tmp_path / name
    if os.path.isdir(source):
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    for root, dirs, files in os.walk(target):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)
    os.chmod(target, 0o755 if os.path.isdir(target) else 0o644)
    return target


def every_output(paths, cwd=None, extra=()):
    """What every format, --statistics and --diff --unsafe-fixes print, stdout
    and stderr, all together."""
    found = []
    for fmt in FORMATS:
        status, out, err = run(["check", "--isolated", "--format", fmt] + list(extra) + paths,
                               cwd=cwd)
        assert status in (0, 1), err
        found.append(out + err)
    for more in (["--statistics"], ["--diff", "--unsafe-fixes"]):
        status, out, err = run(["check", "--isolated"] + more + list(extra) + paths, cwd=cwd)
        assert status in (0, 1, 2) and "internal error" not in err, err
        found.append(out + err)
    return "\n".join(found)


def subprocess_run(args, cwd=None, env=None, **kwargs):
    environ = dict(os.environ, PYTHONPATH=ROOT)
    environ.update(env or {})
    return subprocess.run(EXE + args, cwd=cwd, env=environ, capture_output=True, timeout=120,
                          **kwargs)


# -- D1: secrets -----------------------------------------------------------------------

def test_d1_sv112_names_a_secret_variable_but_never_its_value():
    path = repro("secret-leak-sv112.conf")
    found = every_output([path])
    for secret in ("Sup3rS3cret", "more-secret", "wJalrXUtn", "FEMIK7MDENG"):
        assert secret not in found
    status, out, err = run(["check", "--isolated", "--select", "SV112,SV107", path])
    assert out.splitlines()[:2] == [
        "%s:4:13: SV112 [warning] environment: DB_PASSWORD is cut short: supervisord keeps "
        "only the start of the value and drops the rest (the value is not shown here); quote "
        "the value, e.g. DB_PASSWORD=\"...\"" % path,
        "%s:9:13: SV107 [error] environment: supervisord refuses to load: Unexpected end of "
        "key/value pairs (the value holds a secret; not shown). Write KEY=\"value\",KEY2=\"value "
        "2\": commas between pairs, values with spaces or special characters in double quotes"
        % path]


def test_d1_sv005_says_what_is_wrong_with_a_password_without_quoting_it():
    path = repro("secret-leak-sv005.conf")
    found = every_output([path])
    for secret in ("Tr0ub4dor", "horse", "battery", "staple"):
        assert secret not in found
    status, out, err = run(["check", "--isolated", "--select", "SV005", path])
    assert out.splitlines()[0] == (
        "%s:7:19: SV005 [warning] ';' has no whitespace before it, so it does not start a "
        "comment: supervisord keeps it and the rest of the line (not shown here) in password; "
        "put a space before it" % path)


def test_d1_full_and_diff_mask_whole_values_of_every_secret(tmp_path):
    path = str(copy_repro("secret-leak-full-and-diff.conf", tmp_path))
    found = every_output([path])
    for secret in ("correct", "horse", "battery", "staple", "TopSecretColon", "def ghi",
                   "s3cr3t-space", "LEAKEDPART", "a1b2c3publickey", "XyZsecret", "k3y",
                   "ghp_abc"):
        assert secret not in found, secret
    status, out, err = run(["check", "--isolated", "--format", "full", path])
    lines = out.splitlines()
    assert "     7 | password=***" in lines          # whole value, not up to a blank
    assert "    13 | password:***" in lines          # the ':' delimiter
    assert "    21 | command=/srv/venv/bin/gunicorn app:app --password *** -p s3cr3t-short" \
        in lines
    status, out, err = run(["check", "--isolated", "--diff", "--unsafe-fixes", path])
    assert " password=***\n" in out and " password:***\n" in out and "-chmod=0777\n" in out
    assert open(path).read() == open(repro("secret-leak-full-and-diff.conf")).read()


SECRETS = {
    "MYPASS": "hunter2hunter2",
    "STRIPE_KEY": "sk_live_51Habcdefghijklmnop",
    "APIKEY": "apikeyvalue99",
    "GITHUB_PAT": "github_pat_11ABCDEFG0123456789abcdef",
    "SENTRY_DSN": "https://f00dfeed1234@o1.ingest.sentry.io/1",
    "HOOK": "https://hooks.slack.com/services/T0000/B0000/XXXXsecretXXXX",
    "TOKEN_V": "ghp_0123456789abcdefghij0123456789abcdef",
    "DB_URL": "postgres://app:Pg5ecretPass@db/x",
}


@pytest.mark.parametrize("layout", ["one line", "continued", "mangled"])
def test_d1_secret_names_and_shapes_never_reach_any_output(tmp_path, layout):
    pairs = ['%s="%s"' % (k, v) for k, v in SECRETS.items()]
    if layout == "one line":
        env = "environment=" + ",".join(pairs) + ",BROKEN\n"
    elif layout == "continued":
        env = "environment=" + ",\n    ".join(pairs) + ",\n    BROKEN\n"
    else:
        env = "environment=" + ",".join("%s=%s x" % (k, v) for k, v in SECRETS.items()) + "\n"
    (tmp_path / "w.conf").write_text(
        "[program:w]\ncommand=/srv/bin/w --token=tok3nValue99 --api-key k3yValue99 "
        "--broker redis://:R3disPass@h/0\nuser=w\n" + env +
        "; pasted by mistake: AKIAABCDEFGHIJKLMNOP xoxb-1234567890-abcdefghij\n"
        "autostart=ture ; sk_test_0123456789abcdef\n")
    found = every_output([str(tmp_path / "w.conf")])
    for value in ["hunter2hunter2", "sk_live_51Habcdefghijklmnop", "apikeyvalue99",
                  "github_pat_11ABCDEFG0123456789abcdef", "f00dfeed1234", "XXXXsecretXXXX",
                  "ghp_0123456789abcdefghij0123456789abcdef", "Pg5ecretPass", "tok3nValue99",
                  "k3yValue99", "R3disPass", "AKIAABCDEFGHIJKLMNOP", "xoxb-1234567890",
                  "sk_test_0123456789"]:
        for piece in (value, value[:10]):
            assert piece not in found, piece
    assert "SV103" in found and "SV306" in found


def test_d1_a_truncated_quote_of_a_secret_is_masked_too(tmp_path):
    secret = "Zq" + "x7" * 40          # longer than any quoted value
    (tmp_path / "w.conf").write_text("[program:w]\ncommand=/bin/w\nuser=w\n"
                                     "environment=SESSION_SECRET=%s\n"
                                     "environment=A=1\n" % secret)
    found = every_output([str(tmp_path / "w.conf")])
    assert "SV008" in found and "Zqx7x7x7" not in found


# -- D2: files that are no config --------------------------------------------------------

SHADOW = "root:$6$rounds=5000$SALTsalt$HASHhashHASH:19000:0:99999:7:::\nbob:$6$Xyz:1:0:9:7:::\n"


def _no_content(found):
    for piece in ("root:$", "SALTsalt", "HASHhash", "bob:$", "$6$"):
        assert piece not in found, piece


def test_d2_an_included_file_without_sections_is_reported_by_path_only(tmp_path):
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SHADOW)
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "x.conf").symlink_to(secret)
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=conf.d/*.conf %s\n" % secret)
    found = every_output(["supervisord.conf"], cwd=str(tmp_path))
    _no_content(found)
    status, out, err = run(["check", "--isolated", "supervisord.conf"], cwd=str(tmp_path))
    assert status == 1
    assert out.splitlines()[0] == (
        "conf.d/x.conf:1:1: SV001 [error] this file holds no [section] header, so it is no "
        "supervisor config: supervisord refuses to load it (File contains no section "
        "headers); nothing of its text is shown")
    # and so does supervisord
    ok, message = supervisor_verdict(str(tmp_path / "supervisord.conf"))
    assert not ok and "File contains no section headers" in message


def test_d2_named_or_main_config_files_without_sections_show_nothing(tmp_path):
    (tmp_path / "secret.txt").write_text(SHADOW)
    (tmp_path / "w.conf").write_text("[program:w]\ncommand=/bin/w\nuser=w\n")
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\nmain-config = '
                                             '"secret.txt"\n')
    for fmt in FORMATS:
        for argv in (["secret.txt"], ["w.conf"]):
            status, out, err = run(["check", "--format", fmt] + argv, cwd=str(tmp_path))
            assert status in (0, 1), err
            _no_content(out + err)


def test_d2_repro_never_prints_shadow_or_environ(tmp_path):
    path = repro("include-reads-arbitrary-files.conf")
    canary = "CANARY_" + "c4n4ry" * 3
    for fmt in FORMATS:
        done = subprocess_run(["check", "--isolated", "--format", fmt, path],
                              env={"LEAK_ME": canary})
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        assert done.returncode == 1 and canary not in text and "internal error" not in text
        if os.access("/etc/shadow", os.R_OK):
            with open("/etc/shadow") as fh:
                first = fh.readline().strip()
            assert first not in text
    done = subprocess_run(["check", "--isolated", path])
    (line,) = [l for l in done.stdout.decode().splitlines() if "SV111" in l]
    assert line.startswith(
        "%s:5:7: SV111 [error] include pattern '/proc/*/environ' matches /proc/" % path)
    assert "under /proc, which hold no [section] header: supervisord reads them as config " \
        "files and refuses to load" in line


def test_d2_special_files_in_an_include(tmp_path):
    (tmp_path / "conf.d").mkdir()
    os.mkfifo(tmp_path / "conf.d" / "a-fifo.conf")
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=conf.d/* /dev/null\n")
    status, out, err = run(["check", "--isolated", "supervisord.conf"], cwd=str(tmp_path))
    lines = out.splitlines()
    assert status == 1 and sorted(lines[:2]) == sorted([
        "supervisord.conf:4:7: SV111 [error] include pattern 'conf.d/*' matches %s, a FIFO "
        "(named pipe): supervisord blocks reading it and never finishes loading; remove it "
        "from files=" % (tmp_path / "conf.d" / "a-fifo.conf"),
        "supervisord.conf:4:7: SV111 [error] include pattern '/dev/null' matches /dev/null, a "
        "device or special file: supervisord reads it as a config file, the linter never "
        "does; remove it from files="])
    assert "1 that supervisord refuses to load" in lines[-1]


def test_d15_an_included_fifo_blocks_supervisord(tmp_path):
    """What the FIFO finding says, measured: supervisor 4.3.0 never returns."""
    (tmp_path / "conf.d").mkdir()
    os.mkfifo(tmp_path / "conf.d" / "f.conf")
    (tmp_path / "s.conf").write_text("[supervisord]\nlogfile=/tmp/x\n[include]\n"
                                     "files=conf.d/*\n")
    code = ("from supervisor import options\no = options.ServerOptions()\n"
            "o.configfile = 's.conf'\no.process_config_file(do_usage=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(tmp_path))
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=3)
    finally:
        proc.kill()
        proc.wait()
    status, out, err = run(["check", "--isolated", "s.conf"], cwd=str(tmp_path))
    assert status == 1 and "a FIFO (named pipe): supervisord blocks reading it" in out
    assert "(1 that supervisord refuses to load)" in out


# -- D3, D17: nothing raw reaches a terminal or a log ------------------------------------

def _github_lines_are_ours(out, path):
    for line in out.splitlines():
        if line.startswith("::"):
            assert line.startswith(("::error file=", "::warning file=", "::notice file=")), line
            assert line.split(",", 1)[0].split("=", 1)[1] in (path, os.path.relpath(path))


@pytest.mark.parametrize("name", ["gh-workflow-command-injection.conf",
                                  "text-newline-forgery.conf"])
def test_d3_a_config_cannot_write_its_own_output_lines(name, monkeypatch):
    path = repro(name)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for fmt in (None, "text", "full", "github"):
        status, out, err = run(["check", "--isolated", path] + (["--format", fmt] if fmt else []))
        assert status == 1
        _github_lines_are_ours(out, path)
        for line in out.splitlines():
            assert not line.startswith(("FAKE.conf", "  ::", "::add-mask", "    FAKE"))
        assert len([l for l in out.splitlines() if "SV103" in l]) == \
            (2 if fmt is None else 1)


def test_d3_a_file_name_cannot_write_output_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    name = "x\n::error::inj\r\x1b[2J\u202e.conf"
    status, out, err = run(["check", "--isolated", "--stdin-filename", name, "-"],
                           stdin=_Stdin(b"[program:a]\ncommand=/bin/a\nautostart=ture\nuser=a\n"))
    assert status == 1
    assert out.splitlines()[0].startswith(
        "x\\n::error::inj\\r\\x1b[2J\\u202e.conf:3:11: SV103 [error] autostart=ture")
    _github_lines_are_ours(out, "x\\n%3A%3Aerror%3A%3Ainj\\r\\x1b[2J\\u202e.conf")
    (tmp_path / name).write_text("[program:a]\ncommand=/bin/a\nautostart=ture\nuser=a\n")
    status, out, err = run(["check", "--isolated", str(tmp_path)])
    assert status == 1 and "\x1b" not in out + err and "\u202e" not in out + err
    assert len(out.splitlines()) == 3       # the finding, the summary, the annotation


class _Stdin:
    def __init__(self, data):
        import io
        self.buffer = io.BytesIO(data)


def test_d17_controls_in_messages_and_diffs_are_escaped(tmp_path):
    path = str(copy_repro("diff-raw-escapes.conf", tmp_path))
    status, out, err = run(["check", "--isolated", "--diff", path])
    assert status == 1
    assert " user=app ; \\x1b]0;PWNED-TITLE\\x07\\x1b[2J\\x1b[31mred\n" in out
    for ch in "\x1b\x07\x9b\u202e\u2028":
        assert ch not in out + err
    (tmp_path / "c.conf").write_text("[program:a\x9b2J]\ncommand=/bin/a\nuser=a\n"
                                     "autostart=\u202etrue\u2028x\n")
    found = every_output([str(tmp_path / "c.conf")])
    for ch in "\x9b\u202e\u2028\x1b":
        assert ch not in found
    assert "autostart=\\u202etrue\\u2028x" in found
    status, out, err = run(["check", "--isolated", "--format", "json", str(tmp_path / "c.conf")])
    assert [d["section"] for d in json.loads(out)["diagnostics"] if d["code"] != "SV116"] == ["program:a\\x9b2J"]


def test_d17_summaries_and_warnings_escape_paths(tmp_path):
    odd = tmp_path / "d\x1b[31m"
    odd.mkdir()
    status, out, err = run(["check", "--isolated", str(odd)])
    assert "\x1b" not in err and "d\\x1b[31m" in err
    bad = odd / "w\x1b].conf"
    bad.write_text("[program:a]\ncommand=/bin/date +%s\nuser=a\n")
    status, out, err = run(["check", "--isolated", "--fix", str(bad)])
    assert "Fixed 1 problem in " in out and "\x1b" not in out + err
    assert bad.read_text().endswith("+%%s\nuser=a\n")


def test_d16_full_shows_the_line_the_reader_numbered():
    path = repro("full-wrong-source-line.conf")
    status, out, err = run(["check", "--isolated", "--ignore", "SV116", "--format", "full", path])
    assert out.splitlines()[1:3] == ["     5 | autorestrat=true", "       | ^^^^^^^^^^^"]


# -- D4, D5: fixes per physical file -----------------------------------------------------

def test_d4_a_file_included_twice_is_fixed_once(tmp_path):
    top = copy_repro("fix-double-include", tmp_path)
    web = top / "conf.d" / "web.conf"
    before = web.read_text()
    status, out, err = run(["check", "--isolated", "--fix", "supervisord.conf"], cwd=str(top))
    assert status == 1, err
    assert web.read_text() == before.replace("; supervisor-lint: disable=SV212\n", "")
    assert out.splitlines()[0] == (
        "supervisord.conf:5:7: SV111 [warning] include pattern '%s' matches %s, and it matches "
        "'conf.d/*.conf' too (as conf.d/web.conf): supervisord reads the file twice and merges "
        "each of its sections with itself; make the patterns match it once" % (web, web))


def test_d4_symlink_twins_are_fixed_once(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=conf.d/*.conf\n")
    a = tmp_path / "conf.d" / "a.conf"
    a.write_text("[program:w]\ncommand=/bin/date +%s\nuser=w\n; keep me: same length!\n"
                 "; supervisor-lint: disable=SV212\n")
    (tmp_path / "conf.d" / "z.conf").symlink_to("a.conf")
    status, out, err = run(["check", "--isolated", "--fix", str(tmp_path / "supervisord.conf")])
    assert err == "" and a.read_text() == ("[program:w]\ncommand=/bin/date +%%s\nuser=w\n"
                                           "; keep me: same length!\n")
    assert os.path.islink(tmp_path / "conf.d" / "z.conf")


def _forking_server(path):
    """The repros fork with gunicorn, whose workers SV201 no longer reports
    (they exit when their master dies): uWSGI's stay."""
    path.write_text(path.read_text().replace("/srv/venv/bin/gunicorn app:app", UWSGI))


UWSGI = "/srv/venv/bin/uwsgi --http :80 --die-on-term"


def test_d5_a_split_section_gets_its_fix_in_the_file_that_takes_it(tmp_path):
    top = copy_repro("fix-split-section", tmp_path)
    _forking_server(top / "conf.d" / "a.conf")
    status, out, err = run(["check", "--isolated", "--format", "json", "supervisord.conf"],
                           cwd=str(top))
    (d,) = [d for d in json.loads(out)["diagnostics"] if d["code"] == "SV201"]
    assert (d["path"], d["line"], d["column"]) == ("conf.d/b.conf", 2, 1)
    assert d["fix"]["edits"] == [{"start": 58, "end": 58, "replacement": "killasgroup=true\n"}]
    data = (top / "conf.d" / "b.conf").read_bytes()
    assert data[58:] == b""
    status, out, err = run(["check", "--isolated", "--diff", "supervisord.conf"], cwd=str(top))
    assert status == 1 and "+++ b/conf.d/b.conf\n" in out and "+killasgroup=true\n" in out
    a_before = (top / "conf.d" / "a.conf").read_bytes()
    status, out, err = run(["check", "--isolated", "--fix", "supervisord.conf"], cwd=str(top))
    assert status == 1 and err == ""
    assert (top / "conf.d" / "b.conf").read_text() == (
        "; overrides for production\n[program:web]\nautorestart=true\nkillasgroup=true\n")
    assert (top / "conf.d" / "a.conf").read_bytes() == a_before
    ok, message = supervisor_verdict(str(top / "supervisord.conf"))
    assert ok, message


# -- D6: no lost update ------------------------------------------------------------------

def test_d6_a_file_changed_during_the_run_is_not_overwritten(tmp_path, monkeypatch):
    from supervisor_lint import runner
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/srv/venv/bin/gunicorn app:app\nuser=w\n")
    lint = runner.lint
    calls = []

    def lint_then_edit(*args, **kwargs):
        found = lint(*args, **kwargs)
        if not calls:
            # a colleague saves the file while the fixer works
            path.write_text("[program:w]\ncommand=/srv/venv/bin/gunicorn app:app\nuser=x\n")
        calls.append(1)
        return found
    monkeypatch.setattr(runner, "lint", lint_then_edit)
    status, out, err = run(["check", "--isolated", "--fix", str(path)])
    assert status == 2
    assert err == "supervisor-lint: %s: changed on disk while it was being fixed; not fixed " \
                  "(run again)\n" % path
    assert path.read_text().endswith("user=x\n")
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


# -- D7: writes stay inside what was named -----------------------------------------------

def test_d7_an_include_outside_the_named_paths_is_never_written(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    (outside / "system.conf").write_text("[program:web]\ncommand=%s\n"
                                         "user=app\n" % UWSGI)
    (repo / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=%s/*.conf\n" % outside)
    before = (outside / "system.conf").read_bytes()
    status, out, err = run(["check", "--isolated", ".", "--fix"], cwd=str(repo))
    assert status == 1 and (outside / "system.conf").read_bytes() == before
    assert err == ("supervisor-lint: %s/system.conf: not fixed: no path given holds it (it is "
                   "reached through an include or a symlink); --fix-outside allows it\n"
                   % outside)
    status, out, err = run(["check", "--isolated", ".", "--diff"], cwd=str(repo))
    assert out == "" and "--fix-outside allows it" in err
    status, out, err = run(["check", "--isolated", ".", "--fix", "--fix-outside"],
                           cwd=str(repo))
    assert "killasgroup=true" in (outside / "system.conf").read_text()


def test_d7_a_directory_symlink_out_of_the_tree_is_never_written(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "elsewhere"
    repo.mkdir()
    outside.mkdir()
    (outside / "w.conf").write_text("[program:w]\ncommand=/bin/date +%s\nuser=w\n")
    (repo / "vendor-conf").symlink_to(outside)
    (repo / "mine.conf").write_text("[program:m]\ncommand=/bin/date +%s\nuser=m\n")
    status, out, err = run(["check", "--isolated", str(repo), "--fix"])
    assert "+%%s" in (repo / "mine.conf").read_text()
    assert "+%s\n" in (outside / "w.conf").read_text()
    assert "vendor-conf/w.conf: not fixed: no path given holds it" in err


def test_d7_the_repro_tree(tmp_path):
    top = copy_repro("fix-writes-outside-repo", tmp_path)
    outside = "/tmp/outside-repo"
    if os.path.exists(outside):
        pytest.skip("%s exists already" % outside)
    os.makedirs(outside)
    try:
        shutil.copy(top / "outside-web.conf", outside)
        os.remove(top / "outside-web.conf")
        before = open(outside + "/outside-web.conf", "rb").read()
        status, out, err = run(["check", "--isolated", ".", "--fix"], cwd=str(top))
        assert status == 1 and open(outside + "/outside-web.conf", "rb").read() == before
        assert "--fix-outside allows it" in err
    finally:
        shutil.rmtree(outside)


def test_d18_mode_is_kept_whole(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/bin/date +%s\nuser=w\n")
    os.chmod(path, 0o4751 | stat.S_ISGID)
    status, out, err = run(["check", "--isolated", "--fix", str(path)])
    assert status == 0 and "+%%s" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o6751


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_d18_an_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch, how):
    from supervisor_lint import fix
    path = tmp_path / "w.conf"
    text = "[program:w]\ncommand=/bin/date +%s\nuser=w\n"
    path.write_text(text)
    real_fsync = os.fsync

    def interrupt(fd):
        real_fsync(fd)
        if how == "SIGINT":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(fix.os, "fsync", interrupt)
    status, out, err = run(["check", "--isolated", "--fix", str(path)])
    assert status == 2
    assert err == ("supervisor-lint: interrupted\n" if how == "SIGINT"
                   else "supervisor-lint: terminated\n")
    assert os.listdir(tmp_path) == ["w.conf"] and path.read_text() == text
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# -- D8 - D13: no crash, no hang, no invalid output --------------------------------------

@pytest.mark.parametrize("command,message", [
    ("celery worker -A", "celery worker -A: Celery 5 takes -A only before the subcommand and "
                         "exits at once with \"No such option\" (Celery 4 accepted both orders); "
                         "write celery -A proj worker ..."),
    ("celery worker --app", "celery worker --app: Celery 5 takes --app only before"),
    ("celery -b x worker -A", "celery worker -A: Celery 5 takes -A only before"),
    ("celery multi start w1 -A", "-A ends the command without its value: Celery exits at once "
                                 "with \"Option '-A' requires an argument\" in every node celery "
                                 "multi starts; give it a value"),
    ("celery -A", "-A ends the command without its value: Celery exits at once with \"Option "
                  "'-A' requires an argument\"; give it a value"),
    ("celery worker -n", "-n ends the command without its value"),
])
def test_d8_an_option_without_its_value_is_a_finding(tmp_path, command, message):
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/srv/venv/bin/%s\nuser=w\ndirectory=/srv\n" % command)
    for fmt in FORMATS:
        status, out, err = run(["check", "--isolated", "--format", fmt, str(path)])
        assert status == 1 and err == ""
    status, out, err = run(["check", "--isolated", "--select", "SV401", str(path)])
    assert out.splitlines()[0].startswith("%s:2:9: SV401 [error] %s" % (path, message))


def test_d8_repro():
    status, out, err = run(["check", "--isolated", repro("crash-celery-A-without-value.conf")])
    assert status == 1 and err == "" and "SV401 [error] celery worker -A" in out


def test_d9_yaml_aliases_are_refused_before_they_expand(tmp_path):
    shutil.copy(repro("yaml-alias-bomb.supervisor-lint.yaml"), tmp_path / ".supervisor-lint.yaml")
    (tmp_path / "w.conf").write_text("[program:w]\ncommand=/bin/w\nuser=w\n")
    done = subprocess_run(["check", str(tmp_path / "w.conf")])
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == (
        "supervisor-lint: error: %s/.supervisor-lint.yaml:2: YAML aliases (*name) are not "
        "allowed in a configuration file; write the value out\n" % tmp_path)


def test_d9_an_oversized_configuration_is_refused(tmp_path):
    (tmp_path / ".supervisor-lint.yaml").write_text("ignore: [SV205]\n" + "#" * (1 << 20))
    (tmp_path / "w.conf").write_text("[program:w]\ncommand=/bin/w\nuser=w\n")
    status, out, err = run(["check", str(tmp_path / "w.conf")])
    assert status == 2 and err == ("supervisor-lint: error: %s/.supervisor-lint.yaml: larger "
                                   "than 1048576 bytes, which no configuration needs; not read\n"
                                   % tmp_path)


def test_d10_apply_fixes_matches_the_quadratic_definition():
    """The linear apply takes exactly the edits a pairwise check takes."""
    from hypothesis import given, settings, strategies as st
    from supervisor_lint import reader
    from supervisor_lint.diagnostics import Diagnostic, Edit, Fix
    from supervisor_lint.fix import apply_fixes, _overlaps

    def reference(data, diags):
        taken, applied = [], []
        for d in diags:
            spans = [(e.start, e.end) for e in d.fix.edits]
            if any(s < 0 or e > len(data) or s > e for s, e in spans) or \
                    any(_overlaps(a, (t[0], t[1])) for a in spans for t in taken) or \
                    any(_overlaps(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]):
                continue
            for e in d.fix.edits:
                taken.append((e.start, e.end, len(taken), e.replacement.encode()))
            applied.append(d)
        taken.sort(key=lambda t: (t[0], t[2]))
        out, pos = [], 0
        for s, e, _, r in taken:
            out += [data[pos:s], r]
            pos = max(pos, e)
        return b"".join(out + [data[pos:]]), applied

    doc = reader.parse(b"", "p")
    edit = st.tuples(st.integers(-1, 12), st.sampled_from([0, 0, 1, 2, 3, -1]),
                     st.sampled_from(["", "X", "YY"]))

    @settings(max_examples=600, deadline=None)
    @given(st.binary(max_size=12), st.lists(st.lists(edit, min_size=1, max_size=3), max_size=7))
    def check(data, fixes):
        diags = [Diagnostic("SV999", "t", "warning", False, "m", "p", 1, 1, 1, 1,
                            fix=Fix("safe", [Edit(s, s + n, r) for s, n, r in edits],
                                    document=doc)) for edits in fixes]
        assert apply_fixes(data, diags) == reference(data, diags)
    check()


def test_d11_json_is_utf8_whatever_the_names_hold():
    path = repro("json-surrogate.conf")
    for env in ({}, {"PYTHONIOENCODING": "utf-8"}, {"PYTHONIOENCODING": "ascii"},
                {"LC_ALL": "C", "PYTHONUTF8": "0"}):
        done = subprocess_run(["check", "--isolated", "--format", "json", path], env=env)
        assert done.returncode == 1, done.stderr
        diags = json.loads(done.stdout.decode("utf-8"))["diagnostics"]
        assert ("program:a\\xff", "b\\xfez") in [(d["section"], d["key"]) for d in diags]


def test_d12_junit_is_well_formed_for_any_name():
    status, out, err = run(["check", "--isolated", "--format", "junit",
                            repro("junit-invalid-xml-ufffe.conf")])
    assert status == 1 and "foo\\ufffe" in out
    xml.dom.minidom.parseString(out.encode("utf-8"))


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"},
                                 {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
                                  "PYTHONCOERCECLOCALE": "0"}])
def test_d13_every_format_works_on_an_ascii_stdout(env):
    path = repro("non-ascii-output.conf")
    for fmt in FORMATS:
        done = subprocess_run(["check", "--isolated", "--format", fmt, path], env=env)
        assert done.returncode == 1 and done.stderr == b"", (fmt, done.stderr)
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(done.stdout.decode("utf-8"))
        elif fmt == "junit":
            xml.dom.minidom.parseString(done.stdout)
        else:
            assert b"caf\\xe9" in done.stdout
    done = subprocess_run(["rule", "SV002"], env=env)
    assert done.returncode == 0 and done.stdout.startswith(b"SV002 not-utf8")


def test_d13_fixed_stdin_keeps_its_bytes_on_a_strict_stdout():
    data = b"[program:caf\xe9]\ncommand=/bin/x %s\nuser=a\n"
    done = subprocess_run(["check", "--isolated", "-", "--fix"], input=data,
                          env={"PYTHONIOENCODING": "utf-8:strict"})
    assert done.returncode == 1 and done.stdout == data.replace(b"%s", b"%%s")


# -- D14: fatal configs reported as fatal -----------------------------------------------

def test_d14_a_fragment_default_that_breaks_supervisord_is_fatal(tmp_path):
    path = repro("fragment-default-fatal-missed.conf")
    status, out, err = run(["check", "--isolated", "--select", "SV105", path])
    assert out.splitlines()[0] == (
        "%s:2:11: SV105 [error] supervisord refuses to load: Format string "
        "'/srv/%%(program_name)s' for 'supervisord.directory' contains names ('program_name') "
        "which cannot be expanded. Available names: here. %%(program_name)s is not available "
        "for directory; available: here. (inherited from [DEFAULT] by [supervisord]); every "
        "main config that includes this file refuses to load, unless its [supervisord] sets "
        "directory itself" % path)
    shutil.copy(path, tmp_path / "frag.conf")
    (tmp_path / "main.conf").write_text("[supervisord]\nlogfile=/tmp/x.log\n[include]\n"
                                        "files=frag.conf\n")
    ok, message = supervisor_verdict(str(tmp_path / "main.conf"))
    assert not ok and "supervisord.directory" in message


def test_d14_no_environment_makes_a_swallowed_line_an_integer(tmp_path):
    path = repro("missed-fatal-env-path-in-int.conf")
    status, out, err = run(["check", "--isolated", "--select", "SV103", path])
    assert out.splitlines()[0] == (
        "%s:4:10: SV103 [error] priority=999\\nenvironment=PATH=\"/srv/venv/bin:%%(ENV_PATH)s\": "
        "supervisord refuses to load: no value of the %%(ENV_...)s it expands makes it a whole "
        "number" % path)
    shutil.copy(path, tmp_path / "frag.conf")
    (tmp_path / "main.conf").write_text("[supervisord]\nlogfile=/tmp/x.log\n[include]\n"
                                        "files=frag.conf\n")
    for value in ("", "1", "/usr/bin"):
        ok, message = supervisor_verdict(str(tmp_path / "main.conf"), env={"PATH": value})
        assert not ok and "invalid literal for int()" in message
    # an ENV_ value alone stays a warning: it may hold a number
    (tmp_path / "ok.conf").write_text("[program:a]\ncommand=/bin/a\nuser=a\n"
                                      "priority=%(ENV_PRIO)s\n")
    status, out, err = run(["check", "--isolated", str(tmp_path / "ok.conf")])
    assert "SV103" not in out and "SV105 [warning]" in out


# -- D18 and item 8: output errors, option spelling, suppressions -----------------------

def test_d18_closed_and_full_stdout_are_one_line_errors(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/bin/date +%s\nautostart=ture\n")
    proc = subprocess.run("%s -m supervisor_lint check --isolated %s >&-" % (
        sys.executable, path), shell=True, capture_output=False, stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=ROOT), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == b"supervisor-lint: error: cannot write to standard output: it is " \
                          b"closed\n"
    if os.path.exists("/dev/full"):
        for extra in ([], ["--diff", "--unsafe-fixes"], ["--format", "json"]):
            with open("/dev/full", "wb") as full:
                proc = subprocess.run(EXE + ["check", "--isolated", str(path)] + extra,
                                      stdout=full, stderr=subprocess.PIPE, timeout=60,
                                      env=dict(os.environ, PYTHONPATH=ROOT))
            assert proc.returncode == 2, extra
            assert proc.stderr == b"supervisor-lint: error: cannot write to standard output: " \
                                  b"No space left on device\n"
    status, out, err = run(["check", "--isolated", str(path), "--output",
                            str(tmp_path / "no" / "such" / "dir")])
    assert status == 2 and err.startswith("supervisor-lint: error: %s/no/such/dir: cannot write"
                                          % tmp_path)


def test_d18_option_spelling(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/srv/venv/bin/celery worker -A proj\nuser=w\n"
                    "directory=/srv\nautorestart=true\nstopwaitsecs=600\nkillasgroup=true\n")
    assert run(["check", "--isolated", "--severity", "=error", str(path)]) == (
        2, "", "supervisor-lint: error: --severity =error: write CODE=error|warning|info\n")
    assert run(["check", "--isolated", "--ignore", "sv401", str(path)]) == (0, "", "")
    assert run(["check", "--isolated", "--ignore", "sv4", str(path)]) == (0, "", "")
    (tmp_path / ".supervisor-lint.yaml").write_text("ignore: [sv401]\n")
    assert run(["check", str(path)]) == (0, "", "")


@pytest.mark.parametrize("comment", ["; supervisor-lint: disable-file\n",
                                     "; supervisor-lint: disable=SV103\n"])
def test_item8_a_suppression_never_hides_what_supervisord_refuses(tmp_path, comment):
    path = tmp_path / "w.conf"
    path.write_text("[program:w]\ncommand=/bin/w\nuser=w\n" + comment + "autostart=ture\n")
    status, out, err = run(["check", "--isolated", str(path)])
    assert status == 1
    assert out.splitlines() == [
        "%s:4:1: SV901 [warning] this suppression %shides nothing (it cannot hide what makes "
        "supervisord refuse the file, on line 5); remove it"
        % (path, "" if "file" in comment else "of SV103 "),
        "%s:5:11: SV103 [error] autostart=ture: supervisord refuses to load: not a valid "
        "boolean value: 'ture'; expected true or false (also yes/no, on/off, 1/0); a "
        "supervisor-lint: disable comment cannot hide this: supervisord refuses the file "
        "whatever the comment says" % path,
        "Found 2 problems (1 that supervisord refuses to load). 1 fixable with --fix."]


def test_d18_a_main_config_that_includes_itself(tmp_path):
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=*.conf\n")
    status, out, err = run(["check", "--isolated", "supervisord.conf"], cwd=str(tmp_path))
    assert out.splitlines() == [
        "supervisord.conf:4:7: SV111 [warning] include pattern '*.conf' matches %s, and it is "
        "the main config itself, which supervisord has read already: supervisord reads the file "
        "twice and merges each of its sections with itself; make the patterns match it once"
        % (tmp_path / "supervisord.conf"),
        "Found 1 problem (0 that supervisord refuses to load)."]


# -- a second adversarial round ------------------------------------------------------

H = "[supervisord]\nlogfile=/tmp/x.log\n"


@pytest.mark.parametrize("text,secrets", [
    # a missing comma: the secret is inside another variable's value
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat\nenvironment=DEBUG=1 API_TOKEN=Secr3tQxyz\n",
     ["Secr3tQxyz"]),
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat\nenvironment=A=1API_TOKEN=\"Secr3tQxyz\"\n",
     ["Secr3tQxyz"]),
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat\nenvironment=A=\"1\"\n    DB_PASSWORD=\"Pw9xyzq\"\n",
     ["Pw9xyzq"]),
    (H.replace("x.log\n", "x.log\nenvironment=LANG=C SECRET_KEY=Sk3yxyzq\n"), ["Sk3yxyzq"]),
    # a secret repeated inside a longer word, or pulled in by an expansion
    (H + "[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=Hunter2xyz\n"
     "[program:a]\nuser=nobody\ncommand=/bin/cat\nstdout_logfile=/var/log/Hunter2xyz.log\n",
     ["Hunter2xyz"]),
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat\nredirect_stderr=true\n"
     "environment=API_TOKEN=Tok3nQxyz\nstdout_logfile=logs/%(ENV_API_TOKEN)s.log\n", ["Tok3nQxyz"]),
    # a secret key line without a delimiter
    (H + "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword Hunter2xyz\n",
     ["Hunter2xyz"]),
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat\nDB_PASSWORD Hunter2xyz\n", ["Hunter2xyz"]),
    # command lines: continuation, escapes, more option names, quoted names, shell words
    (H + "[program:a]\nuser=nobody\ncommand=/bin/sh -c \"app --api-key\n    Hunter2xyz; b\"\n",
     ["Hunter2xyz"]),
    (H + "[program:a]\nuser=nobody\ncommand=bin/app --password Hunter\\ Tail2xyz --passphrase "
     "Pp2xyzq --db-pass Dbpass9x '--password' Qu0tedxyz --pwd Pwd7xyzq --sentry-dsn Dsn7xyzq "
     "--encryption-key Enc7xyzq\n",
     ["Tail2xyz", "Pp2xyzq", "Dbpass9x", "Qu0tedxyz", "Pwd7xyzq", "Dsn7xyzq", "Enc7xyzq"]),
    (H + "[program:a]\nuser=nobody\ncommand=sh -c \"API_TOKEN=abc1,Tail3xyz SECRET=abc1'Tail4xyz' "
     "DB_PASSWORD={Secr3tQ} exec app\"\n", ["Tail3xyz", "Tail4xyz", "Secr3tQ"]),
    # the end of a quoted secret that ' ;' cut off
    (H + "[program:a]\nuser=nobody\ncommand=/bin/cat --password \"a ;Tail7xyz\"\n"
     "environment=X=1,MY_SECRET=\"Sq1yy ;Tail5xyz\",Y=2\n", ["Sq1yy", "Tail5xyz", "Tail7xyz"]),
    # URL passwords holding '/' or '@', and newer Slack token shapes
    (H + "[program:w]\nuser=nobody\ncommand=/srv/venv/bin/celery worker -A proj -b "
     "redis://:Hunter/2xyz@host/0\n", ["Hunter/2xyz", "2xyz@"]),
    (H + "[program:w]\nuser=nobody\ncommand=/srv/venv/bin/celery -A proj -b "
     "amqp://u:Hunter@2xyz@host// worker\nenvironment=T=\"xoxe-1234567890-abcdef\"\n",
     ["Hunter@2xyz", "xoxe-1234567890"]),
])
def test_secrets_in_odd_places_never_reach_any_output(tmp_path, text, secrets):
    (tmp_path / "s.conf").write_text(text)
    found = every_output([str(tmp_path / "s.conf")])
    for secret in secrets:
        assert secret not in found, secret


def test_a_secret_that_is_one_of_the_linters_words_is_not_masked_in_its_messages(tmp_path):
    # masking "user" in "set user= to ..." would tell the password
    (tmp_path / "s.conf").write_text(H + "[inet_http_server]\nport=127.0.0.1:9001\n"
                                     "username=u\npassword=user\n[program:a]\ncommand=/bin/cat\n")
    status, out, err = run(["check", "--isolated", "--select", "SV305", str(tmp_path / "s.conf")])
    assert out.splitlines()[0].endswith("SV305 [warning] no user=: under a root supervisord this "
                                        "program runs as root; set user= to an unprivileged "
                                        "account")
    status, out, err = run(["check", "--isolated", "--format", "full", str(tmp_path / "s.conf")])
    assert "password=***" in out


@pytest.mark.parametrize("tail", ["--" + "password" * 16000, "eyJ-" * 32000,
                                  "a://" * 32000, "x=" + "1A" * 40000 + " y"])
def test_pathological_lines_are_read_in_linear_time(tmp_path, tail):
    """Each of these took minutes with a backtracking pattern."""
    (tmp_path / "s.conf").write_text(H + "[program:a]\nstopsignal=KILL\ncommand=bin/x %s\n"
                                     "environment=A=%s\n" % (tail, tail.replace("-", "_")))
    for fmt in ("text", "full"):
        status, out, err = run(["check", "--isolated", "--format", fmt, str(tmp_path / "s.conf")])
        assert status == 1 and err == ""


def test_a_file_name_cannot_start_a_workflow_command(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (tmp_path / "::error title=pwned::forged.conf").write_text(H + "[program:a]\ncommand=/bin/a\n")
    status, out, err = run(["check", "--isolated", "--", "::error title=pwned::forged.conf"],
                           cwd=str(tmp_path))
    assert out.splitlines()[0].startswith("./::error title=pwned::forged.conf:3:1: SV305")
    _github_lines_are_ours(out, "%3A%3Aerror title=pwned%3A%3Aforged.conf")


def test_closed_stdin_is_an_error_not_a_crash():
    proc = subprocess.run("%s -m supervisor_lint check --isolated - <&-" % sys.executable,
                          shell=True, capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 2
    assert proc.stderr == b"supervisor-lint: error: cannot read standard input: it is closed\n"


def test_a_kernel_file_include_is_fatal_and_cannot_be_suppressed(tmp_path):
    (tmp_path / "c.conf").write_text(H + "[include]\n; supervisor-lint: disable=SV111\n"
                                     "files=/proc/self/status\n")
    status, out, err = run(["check", "--isolated", str(tmp_path / "c.conf")])
    assert status == 1 and "(1 that supervisord refuses to load)" in out
    ok, message = supervisor_verdict(str(tmp_path / "c.conf"))
    assert not ok and "File contains no section headers" in message
    status, out, err = run(["check", "--config", "/proc/self/environ", str(tmp_path / "c.conf")])
    assert (status, out) == (2, "") and err == ("supervisor-lint: error: /proc/self/environ: lies "
                                                "under /proc, which is never read\n")


def test_a_flag_inside_a_quoted_argument_is_never_the_one_removed(tmp_path):
    path = tmp_path / "m.conf"
    path.write_text(H + "[program:m]\ncommand=/usr/bin/memcached -U \"x -d y\" -d\nuser=nobody\n"
                    "stopasgroup=true\n")
    run(["check", "--isolated", "--fix", "--unsafe-fixes", str(path)])
    assert "command=/usr/bin/memcached -U \"x -d y\" -d\n" in path.read_text()


def test_diff_from_the_fix_passes_matches_difflib_on_the_corpus():
    """--diff builds its hunks from the edits the fixer applied (linear); on
    every corpus file it fixes, the result is the diff difflib finds."""
    from supervisor_lint import report, runner
    from support import CORPUS, fix_run
    if not os.path.isdir(CORPUS):
        pytest.skip("../shared/corpus is absent")
    compared = 0
    for name in sorted(os.listdir(CORPUS)):
        path = os.path.join(CORPUS, name)
        outcome, registry = fix_run([path], options=runner.Options(isolated=True))
        for r in outcome.results.values():
            if r.changed:
                fast = list(report.diff(r.path, r.original, r.data, registry, r.passes))
                assert fast == list(report.diff(r.path, r.original, r.data, registry)), name
                compared += 1
    assert compared >= 50


def test_an_include_pattern_with_a_nul_byte_is_fatal(tmp_path):
    (tmp_path / "s.conf").write_bytes(b"[supervisord]\nlogfile=/tmp/x\n[include]\n"
                                      b"files=co\x00nf.d/*.conf\n")
    status, out, err = run(["check", "--isolated", str(tmp_path / "s.conf")])
    assert (status, err) == (1, "")
    assert out.splitlines()[0] == (
        "%s:4:7: SV111 [error] include pattern 'co\\x00nf.d/*.conf': supervisord refuses to "
        "load (embedded null byte); remove the character" % (tmp_path / "s.conf"))
    ok, message = supervisor_verdict(str(tmp_path / "s.conf"))
    assert (ok, message) == (False, "embedded null byte")


# -- a third adversarial round -------------------------------------------------------

@pytest.mark.parametrize("text,secrets", [
    # a user name with '@' (an e-mail address) before the password
    ("[program:web]\ncommand=/srv/app/venv/bin/gunicorn a:b\nuser=app\nenvironment=A=1,EMAIL_URL="
     "smtp+tls://noreply@example.com:Gm4ilAppPassw0rd@smtp.gmail.com:587\n", ["Gm4ilAppPassw0rd"]),
    ("[supervisorctl]\nserverurl=http://ops@example.com:Ctl9pass@127.0.0.1:9001\n", ["Ctl9pass"]),
    # dotted and Java-style option and property names
    ("[program:api]\ncommand=/usr/bin/java -Djavax.net.ssl.trustStorePassword=TrustM3Now -jar a.jar "
     "--spring.datasource.password=Pr0dDbPassw0rd --set db.password=Db9pass --auth.token=Tok9xyz "
     "--env=api-token=Ap1tokq --spring.datasource.password Sp4ce9x %d{HH}\nuser=api\n",
     ["TrustM3Now", "Pr0dDbPassw0rd", "Db9pass", "Tok9xyz", "Ap1tokq", "Sp4ce9x"]),
    # a value that starts with '-', a variable named KEY
    ("[program:bot]\ncommand=/srv/bot/venv/bin/python -m bot --token -Zx81kQ2mP0rTnW\nuser=bot\n",
     ["Zx81kQ2mP0rTnW"]),
    ("[program:app]\ncommand=/bin/app\nuser=app\nenvironment=KEY=\"b6f1c0a9e3d24f7fa5c1\",MODE=x\n",
     ["b6f1c0a9e3d24f7fa5c1"]),
    # a URL password cut off by ' #' (configparser drops the rest of the line)
    ("[program:app]\ncommand=/bin/app\nuser=app\nenvironment=DATABASE_URL=postgres://u:abc9 #Tail9x@h\n",
     ["abc9", "Tail9x"]),
    ("[program:app]\ncommand=/bin/app\nuser=app\nenvironment=DATABASE_URL=postgres://u:918273645 #x@h\n",
     ["918273645"]),
    # a value with a quote in its password
    ("[program:app]\ncommand=/bin/app\nuser=app\nenvironment=DATABASE_URL='postgres://u:pa\"ss99word@db/app'\n",
     ["ss99word"]),
    # %-format errors in a secret: no value, no character, no index
    ("[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword=Tr0ub4dor%&3xyz\n[supervisord]\n",
     ["Tr0ub4dor", "'&'", "index"]),
    # a no-delimiter line whose runs are all short (the message quotes it with %r)
    ("[program:a]\ncommand=/bin/a\nuser=a\nAPI_TOKEN a\\b\\c\\d\\e\\f\\g\n", ["\\\\b\\\\c\\\\d"]),
])
def test_secrets_third_round(tmp_path, text, secrets):
    (tmp_path / "s.conf").write_text(text)
    found = every_output([str(tmp_path / "s.conf")])
    for secret in secrets:
        assert secret not in found, secret


def test_a_plain_word_secret_is_masked_where_it_is_written_not_elsewhere(tmp_path):
    # masking every "postgres" would tell the password is "postgres"
    (tmp_path / "s.conf").write_text(
        "[program:db]\ncommand=/bin/x\nuser=a\nenvironment=POSTGRES_PASSWORD=postgres,"
        "POSTGRES_USER=postgres,SENTRY_DSN=https://k@s.io/1,DJANGO_SECRET_KEY=dj4ngo\n"
        "stdout_logfile=relative/postgres.log\n")
    status, out, err = run(["check", "--isolated", "--format", "full", str(tmp_path / "s.conf")])
    assert "     4 | environment=POSTGRES_PASSWORD=***,POSTGRES_USER=postgres,SENTRY_DSN=***," \
           "DJANGO_SECRET_KEY=***" in out.splitlines()
    assert "stdout_logfile=relative/postgres.log is relative" in out


def test_an_expansion_in_a_secret_keeps_its_name(tmp_path):
    (tmp_path / "s.conf").write_text("[program:a]\ncommand=/bin/a\nuser=a\n"
                                     "environment=API_TOKEN=\"%(ENV_HOMEDIR)s/tok\"\n")
    status, out, err = run(["check", "--isolated", str(tmp_path / "s.conf")])
    assert "%(ENV_HOMEDIR)s is not defined by this configuration" in out


def test_many_names_in_one_word_and_many_secrets_stay_linear(tmp_path):
    (tmp_path / "q.conf").write_text("[program:a]\ncommand=/usr/bin/curl https://x/?" +
                                     "&".join("token=%d" % i for i in range(8000)) + "\n")
    status, out, err = run(["check", "--isolated", "--format", "full", str(tmp_path / "q.conf")])
    assert status == 1 and err == ""
    secrets = ",".join("TOKEN_%d=Secr%06dxyz" % (i, i) for i in range(600))
    (tmp_path / "d.conf").write_text(
        "[supervisord]\nenvironment=%s\n[DEFAULT]\ncommand=/bin/cat %s%%Q\n" % (
            secrets, "abcdefgh " * 2000) + "".join("[program:p%d]\n" % i for i in range(100)))
    status, out, err = run(["check", "--isolated", "--format", "full", str(tmp_path / "d.conf")])
    assert status == 1 and err == "" and "Secr000" not in out


def test_error_lines_mask_url_passwords_and_never_walk_proc(tmp_path):
    status, out, err = run(["check", "https://admin:UrlArgPw1@x/a.conf"])
    assert err == "supervisor-lint: error: https://admin:***@x/a.conf: no such file or directory\n"
    assert run(["check", "/proc"]) == (
        2, "", "supervisor-lint: error: /proc: lies under /proc, which is never read\n")
    os.mkfifo(tmp_path / "c.yaml")
    status, out, err = run(["check", "--config", str(tmp_path / "c.yaml"), "/dev/null"])
    assert err == "supervisor-lint: error: %s: not a regular file\n" % (tmp_path / "c.yaml")


def test_the_celery_hint_is_for_celery_commands(tmp_path):
    (tmp_path / "s.conf").write_text("[program:a]\ncommand=/usr/bin/java -Dlog=%d{HH} %n\n"
                                     "user=a\n")
    status, out, err = run(["check", "--isolated", str(tmp_path / "s.conf")])
    assert "SV105" in out and "Celery" not in out


def test_a_file_read_twice_is_counted_once_in_the_fix_summary(tmp_path):
    top = copy_repro("fix-double-include", tmp_path)
    with open(top / "conf.d" / "web.conf", "a") as fh:
        fh.write("autostrat=1\n")
    status, out, err = run(["check", "--isolated", "--fix", "supervisord.conf"], cwd=str(top))
    lines = out.splitlines()
    assert lines[0].startswith("conf.d/web.conf:6:1: SV102 [warning] supervisord ignores the "
                               "key autostrat")
    assert lines[-2:] == ["Fixed 1 problem in conf.d/web.conf (1 remaining).",
                          "Found 2 problems (0 that supervisord refuses to load)."]


def test_d10_the_generated_tree_is_fixed_whole_and_once(tmp_path):
    """gen-fix-quadratic.py's file (timings: benchmarks/fix_scaling.py)."""
    script = repro("gen-fix-quadratic.py")
    with open(tmp_path / "big.conf", "w") as fh:
        subprocess.run([sys.executable, script, "1500"], stdout=fh, check=True, timeout=60)
    _forking_server(tmp_path / "big.conf")
    status, out, err = run(["check", "--isolated", "--fix", "-q", str(tmp_path / "big.conf")])
    text = (tmp_path / "big.conf").read_text()
    assert err == "" and text.count("killasgroup=true\n") == 1500 and \
        text.count("autorestart=true\n") == 1500
    assert run(["check", "--isolated", "--fix", "-q", str(tmp_path / "big.conf")]) == (0, "", "")
    assert (tmp_path / "big.conf").read_text() == text
