"""--fix, --diff, --unsafe-fixes: conservative, idempotent, verified against
supervisor 4.3.0, written atomically."""

import io
import os
import stat

import pytest

from supervisor_lint import fix as fixer
from support import CORPUS, fix_run, lint_json, supervisor_load, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W = ("[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"
     "user=celery\nautorestart=true\nstopwaitsecs=600\numask=022\n")




def fix_in_memory(paths, unsafe=True):
    """fix.run on ``paths`` without writing: (results by path, remaining diagnostics)."""
    outcome, _ = fix_run(paths, ("safe", "unsafe") if unsafe else ("safe",))
    assert outcome.problems == [] and not outcome.rejected, outcome.problems
    return {r.path: r for r in outcome.results.values()}, outcome.diags


# -- the whole corpus and every rule example ---------------------------------------

_ATTRS = {"user": ("uid",), "stopasgroup": ("stopasgroup", "killasgroup"),
          "redirect_stderr": ("redirect_stderr", "stderr_logfile")}


def _sources():
    found = []
    if os.path.isdir(CORPUS):
        found += [("corpus", os.path.join(CORPUS, n)) for n in sorted(os.listdir(CORPUS))
                  if n.endswith((".conf", ".ini"))]
    from supervisor_lint import catalog
    for code, doc in sorted(catalog.load_all().items()):
        for i, ex in enumerate(doc.get("examples", [])):
            for which in ("bad", "good"):
                if ex.get(which):
                    data = bytes.fromhex(ex["bad_bytes_hex"]) if which == "bad" and \
                        ex.get("bad_bytes_hex") else ex[which].encode()
                    found.append(("%s-%d-%s" % (code, i, which), data))
    return found


def _untouched_lines_kept(before, edits, after):
    """Every line of ``before`` that no edit touches is in ``after``, shifted."""
    spans = sorted((e.start, e.end, len(e.replacement.encode("utf-8", "surrogateescape")))
                   for e in edits)
    pos = 0
    for line in before.splitlines(True):
        start, end = pos, pos + len(line)
        pos = end
        touched = any(s < end and e > start or (s == e and start < s < end)
                      for s, e, _ in spans)
        if touched:
            continue
        shift = sum(n - (e - s) for s, e, n in spans if e <= start)
        assert after[start + shift:end + shift] == line, line


@pytest.mark.parametrize("name,source", _sources(), ids=[n for n, _ in _sources()])
def test_fix_everything_is_conservative(tmp_path, name, source):
    if name == "corpus":
        with open(source, "rb") as fh:
            data = fh.read()
        base = os.path.basename(source)
    else:
        data, base = source, "example.conf"
    path = tmp_path / base
    path.write_bytes(data)
    from supervisor_lint import reader
    from supervisor_lint.tree import is_main
    main = str(path)
    if not is_main(reader.parse(data, base)):
        main = str(tmp_path / "wrapper-main.conf")
        with open(main, "w") as fh:
            fh.write("[supervisord]\n[include]\nfiles=%s\n" % base)
    ok_before, msg_before, procs_before = supervisor_load(main)

    results, remaining = fix_in_memory([str(path)])
    status, out, err = run(["check", "--fix", "--unsafe-fixes", str(path)])
    assert status in (0, 1) and "not fixed" not in err, err
    fixed = path.read_bytes()
    result = results.get(str(path))
    assert fixed == (result.data if result else data)
    # (a) idempotent
    run(["check", "--fix", "--unsafe-fixes", str(path)])
    assert path.read_bytes() == fixed
    # (b) no fixable diagnostic remains
    status, diags, err = lint_json([str(path)])
    assert [d["code"] for d in diags if d["fix"]] == []
    if result is None:
        assert fixed == data
        return
    # (c) supervisor still accepts what it accepted
    ok_after, msg_after, procs_after = supervisor_load(main)
    if ok_before:
        assert ok_after, msg_after
        # (d) only what the applied fixes name changed in supervisor's process configs
        named = set()
        for d in result.applied:
            for section, key in d.fix.keys:
                named.update(_ATTRS.get(key, (key,)))
        assert set(procs_before) == set(procs_after)
        for proc, attrs in procs_before.items():
            changed = {a for a in attrs if attrs[a] != procs_after[proc][a]}
            assert changed <= named, (proc, changed, named)
    # (e) every line no fix touched is byte-identical, pass by pass
    steps = result.passes
    for i, (before, edits) in enumerate(steps):
        after = steps[i + 1][0] if i + 1 < len(steps) else fixed
        _untouched_lines_kept(before, edits, after)


# -- file properties --------------------------------------------------------------

def test_crlf_and_missing_final_newline_are_kept(tmp_path):
    path = tmp_path / "w.conf"
    text = W.replace("\n", "\r\n").rstrip("\r\n")
    path.write_bytes(text.encode())
    status, out, err = run(["check", "--fix", str(path)])
    data = path.read_bytes()
    assert data == (text + "\r\nkillasgroup=true").encode()
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_bom_fix_keeps_everything_else(tmp_path):
    path = tmp_path / "w.conf"
    path.write_bytes(b"\xef\xbb\xbf" + (W + "killasgroup=true\n").encode())
    status, out, err = run(["check", "--fix", str(path)])
    assert (status, path.read_bytes()) == (0, (W + "killasgroup=true\n").encode())
    assert "Fixed 1 problem in %s (0 remaining)." % path in out


def test_mode_and_owner_are_kept(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W)
    path.chmod(0o640)
    owner = (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        import grp
        try:
            owner = (65534, grp.getgrnam("adm").gr_gid)
        except KeyError:
            owner = (65534, 65534)
        os.chown(path, *owner)
    run(["check", "--fix", str(path)])
    st = os.stat(path)
    assert path.read_text() == W + "killasgroup=true\n"
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, owner[0], owner[1])


def test_symlink_target_is_fixed_and_link_kept(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "w.conf"
    target.write_text(W)
    link = tmp_path / "link.conf"
    link.symlink_to(target)
    run(["check", "--fix", str(link)])
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == W + "killasgroup=true\n"


def test_read_only_file_is_an_error_and_untouched(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W)
    path.chmod(0o444)
    status, out, err = run(["check", "--fix", str(path)])
    assert status == 2
    assert err == "supervisor-lint: %s: is read-only; not fixed\n" % path
    assert path.read_text() == W
    assert sorted(os.listdir(tmp_path)) == ["w.conf"]


def test_read_only_directory_is_an_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only directories")
    d = tmp_path / "ro"
    d.mkdir()
    path = d / "w.conf"
    path.write_text(W)
    d.chmod(0o555)
    try:
        status, out, err = run(["check", "--fix", str(path)])
        assert status == 2 and "cannot write in" in err and path.read_text() == W
    finally:
        d.chmod(0o755)


def test_stdin_prints_fixed_text(tmp_path):
    stdin = io.TextIOWrapper(io.BytesIO(W.encode()))
    status, out, err = run(["check", "--fix", "-", "--stdin-filename", "w.conf"], stdin=stdin)
    assert out == W + "killasgroup=true\n"
    assert status == 0 and "Fixed 1 problem in w.conf (0 remaining)." in err


def test_diff_writes_nothing(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W)
    status, out, err = run(["check", "--diff", str(path)])
    assert status == 1 and path.read_text() == W
    assert out.splitlines()[-2:] == [" umask=022", "+killasgroup=true"]
    path.write_text(W + "killasgroup=true\n")
    assert run(["check", "--diff", str(path)]) == (0, "", "")


def test_exit_non_zero_on_fix(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W)
    assert run(["check", "--fix", str(path)])[0] == 0
    path.write_text(W)
    assert run(["check", "--fix", "--exit-non-zero-on-fix", str(path)])[0] == 1


def test_unsafe_fixes_need_the_flag(tmp_path):
    path = tmp_path / "w.conf"
    text = W.replace("stopwaitsecs=600\n", "stopwaitsecs=5\nkillasgroup=true\n")
    path.write_text(text)
    run(["check", "--fix", str(path)])
    assert path.read_text() == text
    run(["check", "--fix", "--unsafe-fixes", str(path)])
    assert path.read_text() == text.replace("stopwaitsecs=5", "stopwaitsecs=600")
    assert run(["check", "--unsafe-fixes", str(path)])[0] == 2


def test_two_fixes_on_one_section(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W.replace("autorestart=true\n", "") + "\n; end\n")
    run(["check", "--fix", str(path)])
    assert path.read_text() == W.replace("autorestart=true\n", "") + \
        "killasgroup=true\nautorestart=true\n\n; end\n"


def test_overlapping_fixes_settle_over_passes(tmp_path):
    # the SV008 removal of line 3 overlaps SV106's escape inside it; one pass
    # takes one, the next pass sees what is left
    path = tmp_path / "w.conf"
    text = "[program:clock]\nuser=clock\ncommand=/bin/date +%s\ncommand=/bin/date +%s\n"
    path.write_text(text)
    status, out, err = run(["check", "--fix", "--unsafe-fixes", str(path)])
    assert path.read_text() == "[program:clock]\nuser=clock\ncommand=/bin/date +%%s\n"
    assert err == ""


def test_fix_in_an_included_file(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "w.conf").write_text(W)
    main = tmp_path / "supervisord.conf"
    main_text = "[supervisord]\nuser=root\n[include]\nfiles=conf.d/*.conf\n"
    main.write_text(main_text)
    status, out, err = run(["check", "--fix", str(main)])
    assert (tmp_path / "conf.d" / "w.conf").read_text() == W + "killasgroup=true\n"
    assert main.read_text() == main_text


def test_verify_refuses_a_change_no_fix_names():
    from supervisor_lint.diagnostics import Diagnostic, Edit, Fix
    from supervisor_lint import reader
    result = fixer.FileResult("/w.conf", "w.conf", b"[a]\nx=1\ny=2\n")
    result.data = b"[a]\nx=1\ny=3\n"
    d = Diagnostic("SV999", "t", "warning", False, "m", "w.conf", 1, 1, 1, 1,
                   fix=Fix("safe", [Edit(0, 0, "")], keys=[("a", "x")],
                           document=reader.parse(result.original, "w.conf")))
    result.applied.append(d)
    assert fixer.verify(result, False, False) == "the fixes would change [a] y, which no fix names"
    d.fix.keys = (("a", "y"),)
    assert fixer.verify(result, False, False) is None
    assert fixer.verify(result, False, True) == "supervisord would refuse the fixed file"


def test_apply_fixes_skips_overlaps_and_orders_insertions():
    from supervisor_lint.diagnostics import Diagnostic, Edit, Fix
    from supervisor_lint import reader
    doc = reader.parse(b"0123456789", "p")

    def diag(*edits):
        return Diagnostic("SV999", "t", "warning", False, "m", "p", 1, 1, 1, 1,
                          fix=Fix("safe", [Edit(*e) for e in edits], document=doc))
    first, second, clash, third = diag((4, 4, "a")), diag((4, 4, "b")), diag((2, 6, "")), \
        diag((0, 1, "X"))
    data, used = fixer.apply_fixes(b"0123456789", [first, second, clash, third])
    assert data == b"X123ab456789" and used == [first, second, third]


def test_diff_and_full_output_keep_secrets_out(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(W + "environment=DB_PASSWORD=\"pa55word\",URL=\"redis://:Sup3r@h/0\"\n")
    status, out, err = run(["check", "--diff", str(path)])
    assert "+killasgroup=true" in out and "pa55word" not in out and "Sup3r" not in out
    status, out, err = run(["check", "--format", "full", "--select", "SV306", str(path)])
    assert "SV306" in out and "pa55word" not in out and "Sup3r" not in out


def test_no_fix_that_a_default_elsewhere_makes_fatal(tmp_path):
    # [DEFAULT] killasgroup=false in the main config: adding stopasgroup=true to
    # the included program would make supervisord refuse the whole tree
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        "[DEFAULT]\nkillasgroup=false\n[supervisord]\n[include]\nfiles=conf.d/*.conf\n")
    prog = tmp_path / "conf.d" / "b.conf"
    text = '[program:x]\ncommand=sh -c "cd /srv && ./run"\nuser=app\nautorestart=true\n'
    prog.write_text(text)
    run(["check", "--fix", str(tmp_path / "supervisord.conf")])
    assert prog.read_text() == text


def test_fix_with_a_machine_readable_format_keeps_stdout_parsable(tmp_path):
    import json
    path = tmp_path / "w.conf"
    path.write_text(W.replace("stopwaitsecs=600\n", "stopwaitsecs=5\n"))
    status, out, err = run(["check", "--fix", "--format", "json", str(path)])
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["SV403"]
    assert "Fixed 1 problem in %s (1 remaining)." % path in err


def test_fixes_that_never_settle_leave_the_file_untouched(tmp_path, monkeypatch):
    from supervisor_lint.diagnostics import Diagnostic, Edit, Fix
    from supervisor_lint import reader
    path = tmp_path / "w.conf"
    path.write_text(W)
    doc = reader.parse(W.encode(), str(path))

    def lint_forever():
        # a fix that always finds something more to add
        return [Diagnostic("SV999", "t", "warning", False, "m", str(path), 1, 1, 1, 1,
                           fix=Fix("safe", [Edit(0, 0, ";")], keys=[], document=doc))]
    from supervisor_lint.sources import Sources
    outcome = fixer.run(lint_forever, os.path.realpath, sources=Sources())
    assert outcome.rejected and outcome.problems == [
        "%s: not fixed: fixes did not settle after %d passes" % (path, fixer.MAX_PASSES)]
    (result,) = outcome.results.values()
    assert result.changed is False and path.read_text() == W
