"""The project's own code: no unused imports or names, no undefined names
(pyflakes over the package, the tests, the scripts and the benchmarks)."""

import io
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_pyflakes_finds_nothing():
    api = pytest.importorskip("pyflakes.api")
    from pyflakes.reporter import Reporter
    out, err = io.StringIO(), io.StringIO()
    paths = [os.path.join(ROOT, p) for p in ("supervisor_lint", "tests", "benchmarks",
                                             "scripts/gen-rule-docs")]
    count = api.checkRecursive(paths, Reporter(out, err))
    assert (count, out.getvalue(), err.getvalue()) == (0, "", "")
