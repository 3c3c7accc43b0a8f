#!/usr/bin/env python3
"""The benchmark matrix: every scenario users hit, at several sizes, each
run in a fresh process, side by side with supervisor's own loader where it
applies.  For each scenario and size it prints the best wall time of the
rounds (the least disturbed by other work on the machine; the loader runs in
the same rounds, interleaved: the speed-up is the loader's best time over
the linter's, and beside it the median of the rounds' own ratios), the time
per program, the peak memory (RSS) and memory per program, and flags a
per-program time or memory that grows more than 1.3x from one size to the
next (a path that is not linear).  The one-file run is the median of 30.

Scenarios (N programs each):
  clean      N/20 include files x 20 programs, no finding (bench.py's tree)
  celery     N/20 include files x 20 Celery workers, one finding each
  findings   N/20 include files x 20 programs, three findings each, two fixable
  fragments  N/2 fragment files of 2 programs, all named on the command line
  maincfg    the same fragments named with --main-config (the main includes them)
  bigfile    one file with N programs (findings tree programs)
  fix        --fix on a copy of the findings tree (each round a new copy)
  diff       --diff on the findings tree
  FORMAT     the findings tree in json, sarif, github, gitlab, junit, full
  one        one two-line fragment (a pre-commit hook's run), against python -c pass

Usage:
    python3 benchmarks/matrix.py [--sizes 2000,6000,30000] [--repeat 3]
        [--scenarios clean,celery,...] [--loader-max 6000] [--json FILE]

Standard library only; the loader rows need supervisor importable by the
interpreter that runs this script (the test virtualenv has it)."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

MAIN = """[supervisord]
logfile = %(here)s/log/supervisord.log
pidfile = %(here)s/run/supervisord.pid
childlogdir = %(here)s/log

[unix_http_server]
file = %(here)s/run/supervisor.sock
chmod = 0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://%(here)s/run/supervisor.sock

[include]
files = conf.d/*.conf
"""

LOADER = r"""
import sys
from supervisor.options import ServerOptions
o = ServerOptions()
o.configfile = sys.argv[1]
o.process_config_file(do_usage=False)
"""


def _clean_program(f, p):
    name = "f%04d_p%03d" % (f, p)
    return ("[program:%s]\ncommand=/srv/app%04d/venv/bin/gunicorn app.wsgi --bind "
            "127.0.0.1:%d\ndirectory=/srv/app%04d\nuser=nobody\numask=022\n"
            "autorestart=true\nkillasgroup=true\nstopwaitsecs=30\n"
            "stdout_logfile=%%(here)s/../log/%s.log\nredirect_stderr=true\n"
            "environment=DJANGO_SETTINGS_MODULE=\"app.settings\"\n\n"
            % (name, f, 8000 + p, f, name))


def _celery_program(f, p):
    # one finding each: SV403 (stopwaitsecs shorter than a warm shutdown)
    name = "f%04d_w%03d" % (f, p)
    return ("[program:%s]\ncommand=/srv/app%04d/venv/bin/celery -A proj worker -l INFO "
            "-n %s@%%%%h -Q q%d ; the worker\ndirectory=/srv/app%04d\nuser=nobody\n"
            "umask=022\nautorestart=true\nkillasgroup=true\nstopwaitsecs=30\n"
            "stdout_logfile=%%(here)s/../log/%s.log\nredirect_stderr=true\n"
            "environment=C_FORCE_ROOT=\"false\",PATH=\"/srv/app%04d/venv/bin:/usr/bin\"\n\n"
            % (name, f, name, p, f, name, f))


def _findings_program(f, p):
    # three findings each: SV201 and SV204 (safe fixes), SV403 or SV113
    name = "f%04d_p%03d" % (f, p)
    app = "/srv/app%04d" % f
    if p % 2 == 0:
        head = ("command=%s/venv/bin/celery -A proj worker -l INFO -n %s@%%%%h\n"
                "stopwaitsecs=10\n" % (app, name))
    else:
        head = ("command=%s/venv/bin/gunicorn --workers 4 --bind 127.0.0.1:%d proj.wsgi\n"
                "stdout_logfile_maxbytes=1000\n" % (app, 8000 + p))
    return ("[program:%s]\n%sdirectory=%s\nuser=www-data\numask=022\n"
            "stdout_logfile=/var/log/app/%s.log\nredirect_stderr=true\n"
            "environment=DJANGO_SETTINGS_MODULE=\"proj.settings\",PATH=\"%s/venv/bin:/usr/bin\"\n\n"
            % (name, head, app, name, app))


def tree(root, programs, make, per_file=20):
    """A main config and programs/per_file include files; returns the main."""
    os.makedirs(os.path.join(root, "conf.d"))
    for d in ("log", "run"):
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, "supervisord.conf"), "w") as fh:
        fh.write(MAIN)
    for f in range(max(1, programs // per_file)):
        with open(os.path.join(root, "conf.d", "app%05d.conf" % f), "w") as fh:
            fh.write("".join(make(f, p) for p in range(per_file)))
    return os.path.join(root, "supervisord.conf")


def one_file(root, programs):
    os.makedirs(root)
    path = os.path.join(root, "big.conf")
    with open(path, "w") as fh:
        fh.write("".join(_findings_program(p // 20, p % 20) for p in range(programs)))
    return path


def run(argv, cwd=None):
    """(wall seconds, peak RSS KiB, exit status) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def lint_argv(*args):
    return [sys.executable, "-m", "supervisor_lint", "check", "--isolated", "-q"] + list(args)


def once(argv, cwd=None, prepare=None, ok=(0, 1)):
    if prepare:
        prepare()
    t, r, rc = run(argv, cwd)
    if rc not in ok:
        raise SystemExit("failed (exit %d): %s" % (rc, " ".join(argv)))
    return t, r


def scenarios(work, n, names, loader_max, repeat):
    rows = []

    def add(name, argv, programs, cwd=None, prepare=None, loader=None):
        if name.split("/")[0] not in names:
            return
        with_loader = loader and n <= loader_max
        runs, loads = [], []
        for _ in range(repeat):
            runs.append(once(argv, cwd, prepare))
            if with_loader:
                loads.append(once([sys.executable, "-c", LOADER, loader], ok=(0,)))
        t, rss = min(t for t, _ in runs), max(r for _, r in runs)
        row = {"scenario": name, "programs": programs, "ms": t * 1000,
               "us_per_program": t * 1e6 / programs, "rss_mib": rss / 1024,
               "kib_per_program": rss / programs}
        if with_loader:
            # each round's ratio, then their median: a slow phase of the machine
            # slows both sides of one round
            lt, lrss = min(t for t, _ in loads), max(r for _, r in loads)
            ratio = statistics.median(l / r for (l, _), (r, _) in zip(loads, runs))
            row.update(loader_ms=lt * 1000, loader_rss_mib=lrss / 1024, speedup=lt / t,
                       speedup_rounds=ratio)
        rows.append(row)
        print(_line(row), flush=True)

    base = os.path.join(work, str(n))
    if "clean" in names:
        main = tree(os.path.join(base, "clean"), n, _clean_program)
        add("clean", lint_argv(main), n, loader=main)
    if "celery" in names:
        main = tree(os.path.join(base, "celery"), n, _celery_program)
        add("celery", lint_argv(main), n, loader=main)
    findings = tree(os.path.join(base, "findings"), n, _findings_program)
    add("findings", lint_argv(findings), n)
    for fmt in ("json", "sarif", "github", "gitlab", "junit", "full"):
        if fmt in names:
            add(fmt, lint_argv("--format", fmt, findings), n)
    if "diff" in names:
        add("diff", lint_argv("--diff", findings), n)
    if "fix" in names:
        copy = os.path.join(base, "fixcopy")

        def fresh():
            if os.path.exists(copy):
                shutil.rmtree(copy)
            shutil.copytree(os.path.dirname(findings), copy)
        add("fix", lint_argv("--fix", os.path.join(copy, "supervisord.conf")), n, prepare=fresh)
    if "fragments" in names or "maincfg" in names:
        frag = tree(os.path.join(base, "frag"), n, _findings_program, per_file=2)
        files = sorted(os.listdir(os.path.join(os.path.dirname(frag), "conf.d")))
        cwd = os.path.join(os.path.dirname(frag), "conf.d")
        add("fragments", lint_argv(*files), n, cwd=cwd)
        add("maincfg", lint_argv("--main-config", frag, *files), n, cwd=cwd)
    if "bigfile" in names:
        add("bigfile", lint_argv(one_file(os.path.join(base, "big"), n)), n)
    return rows


def _line(row):
    text = "%-10s %7d programs  %9.1f ms  %7.1f us/program  %7.1f MiB  %6.2f KiB/program" % (
        row["scenario"], row["programs"], row["ms"], row["us_per_program"], row["rss_mib"],
        row["kib_per_program"])
    if "loader_ms" in row:
        text += "   loader %9.1f ms %6.1f MiB: %5.1fx (rounds: %.1fx)" % (
            row["loader_ms"], row["loader_rss_mib"], row["speedup"], row["speedup_rounds"])
    return text


def one(repeat):
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "one.conf")
        with open(path, "w") as fh:
            fh.write("[program:x]\ncommand=/usr/bin/true\n")
        times = {"lint": [], "python": []}
        for _ in range(repeat):
            times["lint"].append(run(lint_argv(path))[0])
            times["python"].append(run([sys.executable, "-c", "pass"])[0])
    lint, python = statistics.median(times["lint"]), statistics.median(times["python"])
    print("one        1 file: %.1f ms, python -c pass %.1f ms: %.2fx"
          % (lint * 1000, python * 1000, lint / python))
    return {"scenario": "one", "ms": lint * 1000, "python_ms": python * 1000,
            "ratio": lint / python}


def table(result):
    """The README's Markdown table of a run (``--json``'s content)."""
    rows = [r for r in result["rows"] if r["scenario"] != "one"]
    sizes = sorted({r["programs"] for r in rows})
    out = ["| scenario | " + " | ".join("%d programs" % n for n in sizes) + " |",
           "|---|" + "---:|" * len(sizes)]
    by = {}
    for r in rows:
        by.setdefault(r["scenario"], {})[r["programs"]] = r
    for name, series in by.items():
        cells = []
        for n in sizes:
            r = series.get(n)
            if r is None:
                cells.append("")
                continue
            cell = "%.0f ms, %.0f µs/p, %.0f MiB" % (r["ms"], r["us_per_program"], r["rss_mib"])
            if "loader_ms" in r:
                cell += "; loader %.0f ms, %.0f MiB: **%.1fx**" % (
                    r["loader_ms"], r["loader_rss_mib"], r["speedup"])
                if "speedup_rounds" in r:
                    cell += " (rounds %.1fx)" % r["speedup_rounds"]
            cells.append(cell)
        out.append("| %s | %s |" % (name, " | ".join(cells)))
    for r in result["rows"]:
        if r["scenario"] == "one":
            out.append("\nOne file (median of 30): %.1f ms against `python -c pass` %.1f ms: "
                       "**%.2fx**." % (r["ms"], r["python_ms"], r["ratio"]))
    if result.get("flagged"):
        out.append("\nFlagged: " + "; ".join(result["flagged"]) + ".")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,6000,30000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default="clean,celery,findings,json,sarif,github,"
                        "gitlab,junit,full,diff,fix,fragments,maincfg,bigfile,one")
    parser.add_argument("--loader-max", type=int, default=6000,
                        help="run supervisor's loader up to this size (it is superlinear)")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--table", metavar="JSON",
                        help="print the Markdown table of a run written with --json, and stop")
    args = parser.parse_args()
    if args.table:
        with open(args.table) as fh:
            print(table(json.load(fh)))
        return
    names = set(args.scenarios.split(","))
    os.environ["PYTHONPATH"] = REPO + os.pathsep + os.environ.get("PYTHONPATH", "")
    # bytecode for both sides (PYTHONDONTWRITEBYTECODE would make every run compile)
    import compileall
    compileall.compile_dir(os.path.join(REPO, "supervisor_lint"), quiet=1)
    print("Python %s, %d cores" % (sys.version.split()[0], os.cpu_count() or 0))
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for n in (int(s) for s in args.sizes.split(",")):
            rows += scenarios(work, n, names, args.loader_max, args.repeat)
    flagged = []
    by = {}
    for row in rows:
        by.setdefault(row["scenario"], []).append(row)
    for name, series in by.items():
        for a, b in zip(series, series[1:]):
            for key in ("us_per_program", "kib_per_program"):
                if b[key] > 1.3 * a[key]:
                    flagged.append("%s: %s grows %.2fx from %d to %d programs"
                                   % (name, key, b[key] / a[key], a["programs"], b["programs"]))
    if "one" in names:
        rows.append(one(max(args.repeat, 30)))
    print("\n".join(flagged) if flagged else "every scenario linear (no per-program time or "
          "memory grows more than 1.3x between sizes)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"python": sys.version.split()[0], "rows": rows, "flagged": flagged}, fh,
                      indent=1)


if __name__ == "__main__":
    main()
