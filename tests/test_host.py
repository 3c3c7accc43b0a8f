"""The host view (host.Root): paths resolve inside the root and never
outside it, accounts and groups come from the root's own files, and access
is computed from owners, groups and modes, not tried."""

import os

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from supervisor_lint.host import EXECUTE, READ, WRITE, Identity, Root


def _write(path, text="", mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    if mode is not None:
        os.chmod(path, mode)


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    return str(r)


def test_absolute_symlinks_start_again_at_the_root(root, tmp_path):
    _write(os.path.join(root, "srv/app/venv/bin/python3"), "#!python")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.makedirs(os.path.join(root, "etc/supervisor"))
    os.symlink("/srv/app/venv/bin/python3", os.path.join(root, "etc/supervisor/py"))
    os.symlink(str(outside), os.path.join(root, "escape"))     # absolute: re-rooted
    host = Root(root)
    assert host.resolve("/etc/supervisor/py") == "/srv/app/venv/bin/python3"
    assert host.real("/etc/supervisor/py") == os.path.join(host.directory,
                                                           "srv/app/venv/bin/python3")
    # the link names a directory of this machine; inside the root it names nothing
    assert host.resolve("/escape") == str(outside)
    assert host.real("/escape").startswith(host.directory + os.sep)
    assert host.stat("/escape") is None
    assert host.resolve("/etc/supervisor/py", follow=False) == "/etc/supervisor/py"


def test_dot_dot_stops_at_the_root(root):
    _write(os.path.join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n")
    os.makedirs(os.path.join(root, "a/b"))
    os.symlink("../../../../../../etc", os.path.join(root, "a/b/up"))
    host = Root(root)
    assert host.resolve("/a/b/up/passwd") == "/etc/passwd"
    assert host.resolve("/../../etc/passwd") == "/etc/passwd"
    assert host.read("/a/b/up/passwd") == b"root:x:0:0::/root:/bin/sh\n"
    # '..' below a name that does not exist, or below a file, fails as in the kernel
    assert host.resolve("/nope/../etc/./x/../passwd") is None
    assert host.resolve("/etc/passwd/../passwd") is None
    assert host.resolve("/etc/./passwd") == "/etc/passwd"
    assert host.resolve("/etc/nope/x") == "/etc/nope/x"
    assert host.resolve("/") == "/" and host.real("/") == host.directory


def test_no_walk_reaches_past_a_missing_name_or_a_file(root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("OUTSIDE\n")
    _write(os.path.join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n")
    os.symlink(str(outside), os.path.join(root, "esc"))
    host = Root(root)
    for probe in ("/nope/../esc/secret", "/etc/passwd/x/../../../esc/secret"):
        assert host.read(probe) is None and host.stat(probe) is None, probe
    assert host.read("/esc/secret") is None          # the link starts again at the root
    assert host.read("/etc/passwd\0x") is None and host.resolve("/a\0b") is None


def test_a_symlink_loop_resolves_to_nothing(root):
    os.symlink("b", os.path.join(root, "a"))
    os.symlink("a", os.path.join(root, "b"))
    host = Root(root)
    assert host.resolve("/a/x") is None
    assert host.real("/a") is None and host.stat("/a") is None and host.read("/a") is None


def test_read_takes_regular_files_only(root):
    os.mkfifo(os.path.join(root, "fifo"))
    os.makedirs(os.path.join(root, "dir"))
    _write(os.path.join(root, "big"), "x" * 100)
    host = Root(root)
    assert host.read("/fifo") is None          # never blocks on a FIFO
    assert host.read("/dir") is None
    assert host.read("/missing") is None
    assert host.read("/big", limit=10) == b"x" * 10


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d/e", "a/f"]),
                          st.sampled_from(["/", "/a", "..", "../..", "../../..", "/etc", "d",
                                           "a/../..", "/d/e/../../..", "e", "."])),
                max_size=6),
       st.sampled_from(["/a", "/b/x", "/c/../a", "/d/e/f", "/a/f/g", "/b/../../c"]))
def test_nothing_resolves_outside_the_root(tmp_path_factory, links, probe):
    base = tmp_path_factory.mktemp("prop")
    root = os.path.join(str(base), "root")
    os.makedirs(os.path.join(root, "d"))
    for name, target in links:
        path = os.path.join(root, name)
        if not os.path.realpath(os.path.dirname(path)).startswith(os.path.realpath(root)):
            continue            # through a link made earlier, out of the root: never write there
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.lexists(path):
                os.symlink(target, path)
        except OSError:
            continue            # its directory is a link made earlier: leave it out
    host = Root(root)
    real = host.real(probe)
    if real is not None:
        assert real == host.directory or real.startswith(host.directory + os.sep)
        assert host.resolve(probe).startswith("/")


PASSWD = """root:x:0:0:root:/root:/bin/bash
# a comment
celery:x:1001:1002:Celery:/home/celery:/usr/sbin/nologin
alice:x:1002:1003::/home/alice:/bin/sh
broken:x:notanumber:1::/:/bin/sh
celery:x:2000:2000:second entry, never the one a name finds:/:/bin/sh
   www:x:33:33::/var/www:/bin/sh
alias:x:33:999:same uid as www::/bin/sh:with:colons
"""
GROUP = """root:x:0:
halog:x:1001:celery,alice
celery:x:1002:
adm:x:4:alice
wwwg:x:504:www
sp:x:500:root, alice
"""


def test_accounts_and_identities_come_from_the_roots_files(root):
    _write(os.path.join(root, "etc/passwd"), PASSWD)
    _write(os.path.join(root, "etc/group"), GROUP)
    host = Root(root)
    assert [a.name for a in host.accounts()] == ["root", "celery", "alice", "celery", "www",
                                                 "alias"]
    assert host.accounts()[-1].shell == "/bin/sh:with:colons"
    celery = host.identity("celery")
    assert (celery.uid, celery.gids) == (1001, (1002, 1001))    # primary first, then members
    assert str(celery) == "celery (uid 1001, groups 1002,1001)"
    assert host.identity("1001").gids == (1002, 1001)           # a uid, as supervisord takes it
    assert host.identity("alice").gids == (1003, 1001, 4, 500)
    # supervisord turns a name into a uid and becomes the first account with that uid
    www = host.identity("alias")
    assert (www.name, www.uid, www.gids) == ("www", 33, (33, 504))
    assert str(host.identity("root")) == "root (root)"
    assert host.identity("nosuchuser") is None and host.identity("4242") is None
    assert not host.incomplete


def test_nss_escapes_and_a_missing_passwd_are_noticed(root):
    _write(os.path.join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n+::::::\n")
    host = Root(root)
    assert [a.name for a in host.accounts()] == ["root"] and host.incomplete
    assert Root(os.path.join(root, "etc")).accounts() == []


def ok(host, who, path, want):
    return host.access(who, path, want)[0]


def test_access_is_computed_from_owner_group_and_mode(root):
    me, my_group = os.getuid(), os.getgid()
    owner = Identity("owner", me, [my_group])
    member = Identity("member", me + 4242, [my_group + 4242, my_group])
    other = Identity("other", me + 4243, [my_group + 4243])
    superuser = Identity("root", 0, [0])
    _write(os.path.join(root, "var/log/app/worker.log"), "", 0o640)
    os.chmod(os.path.join(root, "var/log/app"), 0o750)
    host = Root(root)
    log = "/var/log/app/worker.log"
    assert ok(host, owner, log, READ | WRITE) is True
    assert ok(host, member, log, READ) is True and ok(host, member, log, WRITE) is False
    assert ok(host, other, log, READ) is False          # no search bit on /var/log/app
    os.chmod(os.path.join(root, "var/log/app"), 0o755)
    host = Root(root)             # a Root reads a quiet tree: its stat results are kept
    assert ok(host, other, log, READ) is False          # the file itself: 0640
    os.chmod(os.path.join(root, log.lstrip("/")), 0o644)
    host = Root(root)
    assert ok(host, other, log, READ) is True and ok(host, other, log, WRITE) is False
    assert ok(host, superuser, log, READ | WRITE) is True
    assert ok(host, superuser, log, EXECUTE) is False   # root needs some x bit to execute
    assert host.access(owner, "/var/log/app/missing.log", WRITE) == (
        False, "/var/log/app/missing.log does not exist")
    assert host.access(owner, "/var/log/app/missing.log", WRITE, create=True) == (True, None)
    assert ok(host, owner, "/var/log/app", WRITE | EXECUTE) is True
    # every directory the walk goes through counts, the link's own directory too
    os.makedirs(os.path.join(root, "e"))
    os.symlink("/var/log/app/worker.log", os.path.join(root, "e/lnk"))
    os.chmod(os.path.join(root, "e"), 0o700)
    host = Root(root)
    assert ok(host, owner, "/e/lnk", READ) is True
    assert ok(host, other, "/var/log/app/worker.log", READ) is True
    assert ok(host, other, "/e/lnk", READ) is False


MAIN = """[supervisord]
logfile=/var/log/supervisor/supervisord.log
pidfile=/var/run/supervisord.pid

[include]
files = /etc/supervisor/conf.d/*.conf
"""


def _debian_tree(root):
    """Debian's layout: the main config includes conf.d by an absolute pattern;
    one fragment is an absolute link into the image, one a link to /etc/passwd."""
    etc = os.path.join(root, "etc/supervisor")
    _write(os.path.join(etc, "supervisord.conf"), MAIN)
    _write(os.path.join(etc, "conf.d/app.conf"),
           "[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\n"
           "directory=/srv/app\nuser=celery\nkillasgroup=true\nstopwaitsecs=30\n"
           "autorestart=true\n")
    _write(os.path.join(etc, "extra/other.conf"), "[program:other]\ncommand=/usr/bin/celery "
           "-A proj worker -n other@%%h\ndirectory=/srv/app\nstopwaitsecs=30\nkillasgroup=true\n"
           "autorestart=true\nuser=nobody\n")
    os.symlink("/etc/supervisor/extra/other.conf", os.path.join(etc, "conf.d/link.conf"))
    os.symlink("/etc/passwd", os.path.join(etc, "conf.d/secrets.conf"))
    os.symlink("/etc/supervisor/conf.d/app.conf", os.path.join(etc, "conf.d/.hidden.conf"))
    return os.path.join(etc, "supervisord.conf")


def test_check_root_matches_absolute_include_patterns_inside_the_root(root):
    from support import lint_json
    main = _debian_tree(root)
    real = os.path.realpath(root)
    status, diags, err = lint_json(["--isolated", main])
    assert [(d["code"], d["line"]) for d in diags] == [("SV111", 6)]
    assert "No file matches via include '/etc/supervisor/conf.d/*.conf'" in diags[0]["message"]
    status, diags, err = lint_json(["--isolated", "--root", root, main])
    assert err == ""
    got = sorted((os.path.relpath(d["path"], real), d["code"], d["line"], d["column"])
                 for d in diags)
    assert got == [("etc/supervisor/conf.d/app.conf", "SV403", 6, 14),
                   # the absolute link is followed inside the root, and reported there
                   ("etc/supervisor/extra/other.conf", "SV403", 4, 14),
                   ("etc/supervisor/supervisord.conf", "SV111", 6, 9)]
    # /etc/passwd of the image (absent), never this machine's: skipped as supervisord would
    unreadable = [d for d in diags if d["code"] == "SV111"][0]
    assert unreadable["message"].startswith(os.path.join(real, "etc/passwd") +
                                            " matches the include pattern")
    assert all(d["path"].startswith(real + os.sep) for d in diags)


def test_check_root_refuses_what_is_no_directory(root):
    from support import run
    status, out, err = run(["check", "--root", os.path.join(root, "nope"), "x.conf"])
    assert status == 2 and err == "supervisor-lint: error: --root %s: not a directory\n" % (
        os.path.join(root, "nope"))


def test_glob_is_the_hosts_glob(root):
    _debian_tree(root)
    host = Root(root)
    assert host.glob("/etc/supervisor/conf.d/*.conf") == [
        "/etc/supervisor/conf.d/app.conf", "/etc/supervisor/conf.d/link.conf",
        "/etc/supervisor/conf.d/secrets.conf"]          # a dangling match stays, as in glob
    assert host.glob("/etc/supervisor/conf.d/.*.conf") == ["/etc/supervisor/conf.d/.hidden.conf"]
    assert host.glob("/etc/*/conf.d/app.conf") == ["/etc/supervisor/conf.d/app.conf"]
    assert host.glob("/etc/supervisor/nothing/*.conf") == []
    assert host.host_of(os.path.join(host.directory, "etc")) == "/etc"
    assert host.host_of("/elsewhere") is None


def test_check_root_never_climbs_out_of_the_root(root, tmp_path):
    from support import lint_json
    etc = os.path.join(root, "etc/supervisor")
    _write(os.path.join(etc, "supervisord.conf"), MAIN.replace(
        "/etc/supervisor/conf.d/*.conf", "../../../outside.conf %(here)s/../../../../outside.conf"))
    # the same name beside the root on this machine, where '..' alone would lead
    _write(str(tmp_path / "outside.conf"), "[program:x]\ncommand=/usr/bin/celery -A p worker\n")
    real = os.path.realpath(root)
    status, diags, err = lint_json(["--isolated", "--root", root,
                                    os.path.join(etc, "supervisord.conf")])
    # both patterns name the root's /outside.conf, which is not there: one message
    assert err == "" and [d["code"] for d in diags] == ["SV111"]
    assert all(d["path"].startswith(real + os.sep) for d in diags)
    assert all("No file matches" in d["message"] for d in diags)
    # without --root the same patterns do reach it: the file is there
    status, diags, err = lint_json(["--isolated", os.path.join(etc, "supervisord.conf")])
    assert any(os.path.realpath(d["path"]) == os.path.realpath(str(tmp_path / "outside.conf"))
               for d in diags)


def test_check_root_reads_nothing_outside_the_root(tmp_path):
    """An adversarial review's cases: a root named through a link, a main
    config outside the root or linked out of it, a directory walk through
    a link out of it, a pattern that matches a link loop."""
    from support import lint_json, run
    root = tmp_path / "root"
    out = tmp_path / "out"
    sentinel = "[program:sentinel]\ncommand=/usr/bin/celery -A p worker\n"
    _write(str(out / "conf.d/sentinel.conf"), sentinel)
    _write(str(out / "main.conf"), "[supervisord]\n[include]\nfiles = conf.d/*.conf\n")
    _write(str(root / "etc/rel.conf"), "[supervisord]\n[include]\nfiles = ../../out/conf.d/*.conf "
           "/etc/loop/*.conf\n")
    os.makedirs(str(root / "etc/loop"))
    os.symlink("b.conf", str(root / "etc/loop/a.conf"))
    os.symlink("a.conf", str(root / "etc/loop/b.conf"))
    os.symlink(str(root), str(tmp_path / "rootlink"))
    os.symlink(str(out / "main.conf"), str(root / "etc/mainlink.conf"))
    os.symlink(str(out), str(root / "etc/outlink"))
    real = os.path.realpath(str(root))
    status, diags, err = lint_json(["--isolated", "--root", str(tmp_path / "rootlink"),
                                    str(tmp_path / "rootlink/etc/rel.conf")])
    assert status == 1 and err == ""
    assert [(d["code"], d["line"]) for d in diags] == [("SV111", 3)] * 3
    messages = sorted(d["message"] for d in diags)
    assert messages[0].startswith("%s matches the include pattern '/etc/loop/*.conf' but is a "
                                  "symlink loop" % os.path.join(real, "etc/loop/a.conf"))
    assert messages[1].startswith(os.path.join(real, "etc/loop/b.conf"))
    assert messages[2].startswith("No file matches via include %r" % os.path.join(
        real, "out/conf.d/*.conf"))
    for named in (str(out / "main.conf"), str(root / "etc/mainlink.conf")):
        status, text, err = run(["check", "--isolated", "--root", str(root), named])
        assert status == 2 and err == "supervisor-lint: error: %s: lies outside --root %s, " \
            "which is never read\n" % (named, real)
    status, diags, err = lint_json(["--isolated", "--root", str(root), str(root / "etc")])
    assert not any("sentinel" in d["message"] or "out" + os.sep in d["path"] for d in diags)
