"""A mutation fuzzer for the whole command line, shared by tests/test_fuzz.py
(a few hundred inputs per suite run) and scripts/fuzz (long runs).

Seeds are the shared corpus (when ../shared is there), the bundled examples
and every rule example.  Each input is a mutated seed (byte flips,
truncation, shuffled, duplicated or deleted lines, inserted %, ;, #, CR, NUL,
controls, non-UTF-8, long lines and long continuations, spliced lines) with
secrets planted in it; one input in five is a tree (a main config, mutated
fragments under conf.d/, sometimes a symlink twin).  For each input, every
format, --statistics, --diff and --fix --unsafe-fixes run in-process, and
each must hold:

- exit status 0, 1 or 2, never an internal error;
- JSON, GitLab and SARIF parse (SARIF against the 2.1.0 schema when given),
  JUnit XML is well formed, every github line is a workflow command, every
  text line is a finding, a source or caret line, or the summary;
- output is valid UTF-8 and holds no raw control character but newline;
- no planted secret appears anywhere;
- --fix writes what the fixer computed, every pass changes only the bytes
  its edits name, and a second --fix changes nothing.
"""

import json
import os
import random
import re
import shutil
import xml.dom.minidom

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORMATS = ("text", "full", "json", "sarif", "github", "gitlab", "junit")

# planted secrets: each holds a canary that must never be printed
CANARY = "Cnry7Q"
PLANTS = (
    "environment=DB_PASSWORD=%s_pw1 more_%s_pw2\n",
    "environment=A=\"1\",SECRET_KEY=\"%s_sk\",\n  API_TOKEN=%s_tok\n",
    "password=%s_pass word %s_pass2\n",
    "password:%s_colon\n",
    "command=/srv/venv/bin/gunicorn app:app --password %s_opt --token=%s_opt2\n",
    "environment=URL=\"redis://:%s_url@h/0\",HOOK=\"https://hooks.slack.com/services/T0/B0/%s\"\n",
    "environment=GH=\"ghp_%s0123456789abcdef%s\"\n",
    "  environment=MYPASS=%s_cont,\n   STRIPE_KEY=%s_stripe\n",
)
_UNSAFE_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                            "\ufffe\uffff\ud800-\udfff]")
from supervisor_lint.cli import PARTIAL as _PARTIAL   # the summary's note on fragments
_FINDING = re.compile(r".*:\d+:\d+: SV\d{3} \[(error|warning|info)\] ")
_SOURCE = re.compile(r"  (\x1b\[\d*m)?\s*\d+ \|")
_CARET = re.compile(r"       \| ")
_GITHUB = re.compile(r"::(error|warning|notice) file=[^\n]*::")


def seeds():
    """(name, bytes) of every seed file."""
    from support import CORPUS
    found = []
    if os.path.isdir(CORPUS):
        for name in sorted(os.listdir(CORPUS)):
            if name.endswith((".conf", ".ini")):
                with open(os.path.join(CORPUS, name), "rb") as fh:
                    found.append((name, fh.read()))
    for top, _, files in os.walk(os.path.join(ROOT, "examples")):
        for name in sorted(files):
            if name.endswith(".conf"):
                with open(os.path.join(top, name), "rb") as fh:
                    found.append((name, fh.read()))
    from supervisor_lint import catalog
    for code, doc in sorted(catalog.load_all().items()):
        for ex in doc.get("examples", []):
            if ex.get("bad"):
                found.append((code, ex["bad"].encode()))
    return found


_INSERTS = [b"%", b"%s", b";", b" ;", b"#", b" #", b"\t", b"\r", b"\0", b"\xff", b"\xc2\x85",
            b"\xe2\x80\xa8", b"\xef\xbf\xbe", b"\xc2\x9b", b"\x1b[2J", b"\xef\xbb\xbf", b"\n  ",
            b"=", b":", b"[", b"]", b"\"", b"'", b"%(ENV_X)s", b"%(program_name)s", b"\\",
            b"\xe2\x80\xae", b"::error::x"]
_KEYS = [b"command=/bin/sh -c 'cd /srv && exec celery -A p worker'\n", b"numprocs=2\n",
         b"stopasgroup=true\n", b"killasgroup=false\n", b"stopsignal=KILL\n",
         b"stdout_logfile=/dev/stdout\n", b"umask=000\n", b"user=root\n", b"[group:g]\n",
         b"programs=a,b\n", b"[include]\nfiles=*.conf\n", b"[DEFAULT]\ndirectory=%(here)s\n",
         b"[inet_http_server]\nport=*:9001\n", b"; supervisor-lint: disable=SV201\n",
         b"; supervisor-lint: disable-file\n", b"environment=A=x y\n",
         b"command=celery worker -A\n"]


def mutate(rng, data, pool):
    """One mutated input: (bytes, the canaries planted in it)."""
    lines = data.splitlines(True) or [b""]
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(12)
        if op == 0 and lines:                                   # byte flip
            i = rng.randrange(len(lines))
            line = bytearray(lines[i])
            if line:
                j = rng.randrange(len(line))
                line[j] ^= 1 << rng.randrange(8)
                lines[i] = bytes(line)
        elif op == 1:                                           # truncation
            cut = b"".join(lines)[:rng.randrange(len(b"".join(lines)) + 1)]
            lines = cut.splitlines(True) or [b""]
        elif op == 2:                                           # shuffled lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:                                           # duplicated line
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
        elif op == 4 and len(lines) > 1:                        # deleted line
            del lines[rng.randrange(len(lines))]
        elif op == 5:                                           # inserted byte string
            i = rng.randrange(len(lines))
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + rng.choice(_INSERTS) + lines[i][at:]
        elif op == 6:                                           # inserted key or section
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(_KEYS))
        elif op == 7:                                           # line endings
            text = b"".join(lines)
            text = rng.choice([text.replace(b"\n", b"\r\n"), text.replace(b"\n", b"\r"),
                               text.rstrip(b"\n")])
            lines = text.splitlines(True) or [b""]
        elif op == 8:                                           # a long line
            i = rng.randrange(len(lines))
            lines[i] = lines[i].rstrip(b"\n") + b"x" * rng.choice([300, 5000, 20000]) + b"\n"
        elif op == 9:                                           # long continuations
            i = rng.randrange(len(lines))
            lines.insert(i + 1, b"  more\n" * rng.choice([10, 500]))
        elif op == 10:                                          # spliced lines
            other = rng.choice(pool)[1].splitlines(True)
            if other:
                k = rng.randrange(len(other))
                lines[rng.randrange(len(lines)):] = other[k:k + rng.randint(1, 8)] + \
                    lines[rng.randrange(len(lines)):]
        else:                                                   # non-UTF-8 run
            i = rng.randrange(len(lines))
            lines[i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6))) + lines[i]
    canaries = []
    for _ in range(rng.randint(1, 3)):
        tag = "%s%04d" % (CANARY, rng.randrange(10000))
        plant = rng.choice(PLANTS)
        plant = plant % ((tag,) * plant.count("%s"))
        canaries.append(tag)
        at = rng.randrange(len(lines) + 1)
        if rng.random() < 0.5:
            # after a program or server header, where the key means what it says
            headers = [k for k, l in enumerate(lines) if l.lstrip().startswith(b"[")]
            if headers:
                at = rng.choice(headers) + 1
        if at > 0 and not lines[at - 1].endswith((b"\n", b"\r")):
            lines[at - 1] += b"\n"      # a planted line stays a line of its own
        lines.insert(at, plant.encode())
    return b"".join(lines), canaries


def _run(argv, cwd):
    from support import run
    return run(argv, cwd=cwd)


def _check_output(label, fmt, status, out, err, canaries, problems, validator):
    text = out + err
    if status not in (0, 1, 2):
        problems.append("%s: %s: exit status %s" % (label, fmt, status))
    if "internal error" in err or "Traceback" in err:
        problems.append("%s: %s: %s" % (label, fmt, err.strip()[:300]))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.append("%s: %s: output is not UTF-8" % (label, fmt))
    bad = _UNSAFE_OUTPUT.search(text.replace("\r\n", "\n"))
    if bad:
        problems.append("%s: %s: raw control character %r in output" % (label, fmt, bad.group()))
    for canary in canaries:
        if canary in text:
            problems.append("%s: %s: planted secret %s printed" % (label, fmt, canary))
    if status == 2:
        if len(err.splitlines()) != 1 and fmt not in ("diff", "fix"):
            problems.append("%s: %s: exit 2 without one error line: %r" % (label, fmt, err[:300]))
        return
    try:
        if fmt in ("json", "gitlab"):
            json.loads(out)
        elif fmt == "sarif":
            log = json.loads(out)
            if validator is not None:
                errors = list(validator.iter_errors(log))
                if errors:
                    problems.append("%s: sarif: %s" % (label, errors[0].message[:200]))
        elif fmt == "junit":
            xml.dom.minidom.parseString(out.encode("utf-8"))
    except Exception as exc:
        problems.append("%s: %s: invalid output: %s" % (label, fmt, exc))
    if fmt == "github":
        for line in out.splitlines():
            if not _GITHUB.match(line):
                problems.append("%s: github: stray line %r" % (label, line[:200]))
                break
    if fmt in ("text", "full"):
        for line in out.splitlines():
            if line.startswith("Found ") or _FINDING.match(line) or line == _PARTIAL or \
                    (fmt == "full" and (_SOURCE.match(line) or _CARET.match(line))):
                continue
            problems.append("%s: %s: stray line %r" % (label, fmt, line[:200]))
            break


def _snapshot(top):
    found = {}
    for root, _, files in os.walk(top):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                with open(path, "rb") as fh:
                    found[os.path.relpath(path, top)] = fh.read()
    return found


def _replay(before, edits):
    """``before`` with ``edits`` applied the way apply_fixes takes them."""
    ordered = sorted(enumerate(edits), key=lambda t: (t[1].start, t[0]))
    out, pos = [], 0
    for _, e in ordered:
        out += [before[pos:e.start], e.replacement.encode("utf-8", "surrogateescape")]
        pos = max(pos, e.end)
    return b"".join(out + [before[pos:]])


def _check_fix(label, top, target, canaries, problems):
    from supervisor_lint import runner
    from support import fix_run
    before = _snapshot(top)
    # the fixer in memory: every pass changes only what its edits name
    try:
        outcome, _ = fix_run([os.path.join(top, target)], options=runner.Options(isolated=True))
    except Exception as exc:
        problems.append("%s: fix.run: %s: %s" % (label, type(exc).__name__, exc))
        return
    for result in outcome.results.values():
        steps = result.passes
        for i, (data, edits) in enumerate(steps):
            after = steps[i + 1][0] if i + 1 < len(steps) else result.data
            if _replay(data, edits) != after:
                problems.append("%s: fix pass %d of %s changed bytes no edit names"
                                % (label, i + 1, result.path))
    status, out, err = _run(["check", "--isolated", "--fix", "--unsafe-fixes", target], top)
    _check_output(label, "fix", status, out, err, canaries, problems, None)
    after = _snapshot(top)
    expected = dict(before)
    for result in outcome.results.values():
        if result.changed:
            expected[os.path.relpath(result.key, os.path.realpath(top))] = result.data
    if status in (0, 1) and after != expected:
        problems.append("%s: --fix wrote other bytes than the fixer computed" % label)
    status2, out2, err2 = _run(["check", "--isolated", "--fix", "--unsafe-fixes", target], top)
    if status in (0, 1) and _snapshot(top) != after:
        problems.append("%s: a second --fix changed the files again" % label)


def check_input(label, files, workdir, canaries, validator=None):
    """Run every check on one input (``files``: relative path -> bytes or
    ('link', target)); returns the problems found."""
    top = os.path.join(workdir, "case")
    if os.path.exists(top):
        shutil.rmtree(top)
    os.makedirs(top)
    for rel, data in files.items():
        path = os.path.join(top, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(data, tuple):
            os.symlink(data[1], path)
        else:
            with open(path, "wb") as fh:
                fh.write(data)
    target = "supervisord.conf" if "supervisord.conf" in files else next(iter(files))
    problems = []
    for fmt in FORMATS:
        status, out, err = _run(["check", "--isolated", "--format", fmt, target], top)
        _check_output(label, fmt, status, out, err, canaries, problems, validator)
    status, out, err = _run(["check", "--isolated", "--statistics", target], top)
    _check_output(label, "statistics", status, out, err, canaries, problems, None)
    status, out, err = _run(["check", "--isolated", "--diff", "--unsafe-fixes", target], top)
    _check_output(label, "diff", status, out, err, canaries, problems, None)
    _check_fix(label, top, target, canaries, problems)
    return problems


def make_input(rng, pool):
    """(files, canaries) for one input: a file, or one time in five a tree."""
    if rng.random() < 0.8:
        name, data = rng.choice(pool)
        data, canaries = mutate(rng, data, pool)
        return {"case.conf": data}, canaries
    files = {"supervisord.conf": b"[supervisord]\nlogfile=/tmp/x.log\n[include]\n"
                                 b"files=conf.d/*.conf\n"}
    canaries = []
    for i in range(rng.randint(1, 3)):
        data, planted = mutate(rng, rng.choice(pool)[1], pool)
        files["conf.d/f%d.conf" % i] = data
        canaries += planted
    if rng.random() < 0.3:
        files["conf.d/z-twin.conf"] = ("link", "f0.conf")
    if rng.random() < 0.3:
        main, planted = mutate(rng, files["supervisord.conf"], pool)
        files["supervisord.conf"] = main
        canaries += planted
    return files, canaries


def campaign(count, seed, workdir, validator=None, keep=None, progress=None):
    """Run ``count`` inputs; returns [(label, problems)] of the failing ones.
    With ``keep`` (a directory), failing inputs are saved there."""
    rng = random.Random(seed)
    pool = seeds()
    failures = []
    for n in range(count):
        files, canaries = make_input(rng, pool)
        label = "input %d (seed %d)" % (n, seed)
        problems = check_input(label, files, workdir, canaries, validator)
        if problems:
            failures.append((label, [p[len(label) + 2:] for p in problems]))
            if keep:
                target = os.path.join(keep, "%d-%d" % (seed, n))
                os.makedirs(target, exist_ok=True)
                for rel, data in files.items():
                    path = os.path.join(target, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    if isinstance(data, tuple):
                        if not os.path.lexists(path):
                            os.symlink(data[1], path)
                    else:
                        with open(path, "wb") as fh:
                            fh.write(data)
        if progress is not None:
            progress(n + 1, len(failures))
    return failures


def sarif_validator():
    from support import SHARED
    path = os.path.join(SHARED, "schemas", "sarif-schema-2.1.0.json")
    if not os.path.isfile(path):
        return None
    try:
        import jsonschema
    except ImportError:
        return None
    with open(path) as fh:
        return jsonschema.Draft7Validator(json.load(fh))
