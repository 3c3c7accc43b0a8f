#!/usr/bin/env python3
"""How --fix scales with the number of fixes: N uWSGI programs in one
file, each missing killasgroup and autorestart (two safe fixes each), fixed
with ``python -m supervisor_lint check --isolated --fix -q`` in a fresh
process; ``check`` alone on the same file for comparison.  Each size runs R
times on a new copy; the median wall time is printed in seconds, with the
time per fix, which stays flat when --fix is linear.

Usage:
    python3 benchmarks/fix_scaling.py [--sizes 1000,4000,8000,20000] [--repeat 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def program(i):
    # (uWSGI: its workers outlive a killed master, so SV201 asks for killasgroup;
    # gunicorn's do not)
    return ("[program:p%d]\ncommand=/srv/venv/bin/uwsgi --http :80 --die-on-term\nuser=a\n"
            "directory=/srv\n" % i)


def timed(args, cwd):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "supervisor_lint"] + args, cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=REPO), capture_output=True)
    if done.returncode not in (0, 1):
        sys.exit("failed: %s" % done.stderr.decode()[:500])
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,4000,8000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| programs | fixes | check (s) | --fix (s) | --fix per fix (ms) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as work:
        for n in (int(x) for x in args.sizes.split(",")):
            text = "".join(program(i) for i in range(n))
            checks, fixes = [], []
            for _ in range(args.repeat):
                path = os.path.join(work, "big.conf")
                with open(path, "w") as fh:
                    fh.write(text)
                checks.append(timed(["check", "--isolated", "-q", path], work))
                fixes.append(timed(["check", "--isolated", "--fix", "-q", path], work))
                with open(path) as fh:
                    assert fh.read().count("killasgroup=true") == n
            c, f = statistics.median(checks), statistics.median(fixes)
            print("| %d | %d | %.2f | %.2f | %.3f |" % (n, 2 * n, c, f, 1000 * f / (2 * n)))


if __name__ == "__main__":
    main()
