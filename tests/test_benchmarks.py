"""The benchmark matrix runs as the README says, at a toy size: every
scenario gives a row, the loader sits beside the trees it applies to, and a
run that fails stops the matrix.  (Timings are the benchmark's business: no
test asserts one.)"""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX = os.path.join(ROOT, "benchmarks", "matrix.py")
SCENARIOS = ["clean", "celery", "findings", "json", "sarif", "github", "gitlab", "junit",
             "full", "diff", "fix", "fragments", "maincfg", "bigfile"]


def test_matrix_runs_every_scenario_at_every_size(tmp_path):
    pytest.importorskip("supervisor.options")
    out = tmp_path / "rows.json"
    proc = subprocess.run([sys.executable, MATRIX, "--sizes", "40,80", "--repeat", "1",
                           "--loader-max", "40", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    rows = result["rows"]
    got = {(r["scenario"], r["programs"]) for r in rows if r["scenario"] != "one"}
    assert got == {(s, n) for s in SCENARIOS for n in (40, 80)}
    loader = {(r["scenario"], r["programs"]) for r in rows if "loader_ms" in r}
    assert loader == {("clean", 40), ("celery", 40)}     # up to --loader-max only
    for r in rows:
        if "loader_ms" in r:
            assert r["speedup"] == pytest.approx(r["loader_ms"] / r["ms"])
            assert r["speedup_rounds"] > 0
    one = [r for r in rows if r["scenario"] == "one"]
    assert len(one) == 1 and one[0]["python_ms"] > 0
    for r in rows:
        if r["scenario"] != "one":
            assert r["us_per_program"] == pytest.approx(r["ms"] * 1000 / r["programs"])
    # every row is printed, and the verdict on linearity is the last line
    assert proc.stdout.count(" programs ") == len(rows) - 1
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("every scenario linear") or " grows " in last


def test_a_failing_run_stops_the_matrix():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import matrix
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))
    with pytest.raises(SystemExit) as exc:
        matrix.once([sys.executable, "-c", "raise SystemExit(1)"], ok=(0,))
    assert "failed (exit 1)" in str(exc.value)
    t, rss = matrix.once([sys.executable, "-c", "raise SystemExit(1)"])     # findings: exit 1
    assert t > 0 and rss > 0
