"""Every supervisord people run (issue 13): the linter's fatal verdict with
--target-version/--target-python equals what each version's own loader
did (tests/data/version-matrix.json, rebuilt by scripts/version-matrix from
real supervisor 4.1.0-4.3.0 on Python 3.8-3.13), and the same configuration
gets the same findings whichever Python runs the linter."""

import glob
import io
import json
import os
import subprocess
import sys

import pytest

from support import CORPUS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
with open(os.path.join(HERE, "data", "version-matrix.json"), encoding="utf-8") as _fh:
    MATRIX = json.load(_fh)

# where the oracle and the linter are asked different questions, not where
# they disagree about one
HARNESS = {
    # a fragment whose group names a program of another file: the oracle loads
    # it alone under a main config; the linter says SV109 may be satisfied
    # elsewhere (a warning) unless given --main-config
    "corpus/073-uralov-gunicorn-group-undefined-programs.conf",
    # the oracle's own regex takes '[supervisord]]' for a main config; the
    # linter reads the section [supervisord]] as Python 3.10+ does (SV116 says so)
    "versions/py-header-bracket-supervisord.conf",
}


def _path(key):
    kind, name = key.split("/", 1)
    return os.path.join(HERE, "versions", name) if kind == "versions" else \
        os.path.join(CORPUS, name)


def _fatal(path, supervisor, python):
    from supervisor_lint.cli import main
    out, err = io.StringIO(), io.StringIO()
    main(["check", "--isolated", "--format", "json", "--target-version", supervisor,
          "--target-python", python, path], stdout=out, stderr=err)
    text = out.getvalue().strip()
    return sorted({d["code"] for d in (json.loads(text)["diagnostics"] if text else []) if d["fatal"]})


def test_the_matrix_covers_the_distributions_pairs():
    assert MATRIX["mode"] == "--static-envdef"
    assert set(MATRIX["pairs"]) >= {"4.3.0/3.11", "4.3.0/3.13", "4.2.5/3.11", "4.2.5/3.13",
                                    "4.2.2/3.9", "4.2.1/3.10", "4.1.0/3.8"}
    versions = {os.path.basename(p) for p in glob.glob(os.path.join(HERE, "versions", "*.conf"))}
    assert {k.split("/", 1)[1] for k in MATRIX["files"] if k.startswith("versions/")} == versions
    # the table holds differences, or it would test nothing about versions
    differing = [k for k, v in MATRIX["files"].items() if len({r["ok"] for r in v.values()}) > 1]
    assert len(differing) >= 15


@pytest.mark.parametrize("pair", MATRIX["pairs"])
def test_fatal_verdict_equals_that_versions_loader(pair):
    supervisor, python = pair.split("/")
    wrong = []
    for key, verdicts in sorted(MATRIX["files"].items()):
        if key in HARNESS or pair not in verdicts:
            continue
        if key.startswith("corpus/") and not os.path.isdir(CORPUS):
            continue
        fatal = _fatal(_path(key), supervisor, python)
        if bool(fatal) == verdicts[pair]["ok"]:
            wrong.append((key, fatal, verdicts[pair]["error"][:80]))
    assert wrong == []


def test_a_fatal_finding_quotes_that_versions_words():
    """Where the loaders' texts differ, the finding says the target's."""
    path = os.path.join(HERE, "versions", "py-int-huge.conf")
    for python, words in (("3.10", "Exceeds the limit (4300) for integer string conversion"),
                          ("3.11", "Exceeds the limit (4300 digits) for integer string")):
        from support import lint_json
        status, diags, err = lint_json(["--isolated", "--target-python", python, path])
        (d,) = [d for d in diags if d["fatal"]]
        assert words in d["message"]
        assert words in MATRIX["files"]["versions/py-int-huge.conf"][
            "4.2.1/3.10" if python == "3.10" else "4.2.5/3.11"]["error"]


_PYTHONS = sorted({p for v in ("3.9", "3.10", "3.12", "3.13")
                   for p in glob.glob("/root/.pyenv/versions/%s.*/bin/python" % v)})


def _findings_under(python):
    """Every finding on the version cases under each pair, as the linter
    running on ``python`` reports them."""
    script = (
        "import io, json, sys\n"
        "from supervisor_lint.cli import main\n"
        "out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    for sv, py in (('4.3', '3.12'), ('4.2.1', '3.10'), ('4.2.5', '3.13')):\n"
        "        o, e = io.StringIO(), io.StringIO()\n"
        "        main(['check', '--isolated', '--format', 'json', '--target-version', sv,\n"
        "              '--target-python', py, path], stdout=o, stderr=e)\n"
        "        t = o.getvalue().strip()\n"
        "        out['%s %s %s' % (path.rsplit('/', 1)[1], sv, py)] = [\n"
        "            (d['code'], d['line'], d['column'], d['fatal'], d['message'])\n"
        "            for d in (json.loads(t)['diagnostics'] if t else [])]\n"
        "print(json.dumps(out, sort_keys=True))\n")
    files = sorted(glob.glob(os.path.join(HERE, "versions", "*.conf")))
    done = subprocess.run([python, "-c", script] + files, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT, LC_ALL="C.UTF-8"), check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not _PYTHONS, reason="no other Python here (pyenv's 3.9-3.13)")
def test_the_linters_own_python_decides_nothing():
    """The same findings whichever Python runs the linter: signals, int()'s
    digit limit, loglevel names and %-errors come from the target's tables."""
    mine = _findings_under(sys.executable)
    for python in _PYTHONS:
        theirs = _findings_under(python)
        assert theirs == mine, python
