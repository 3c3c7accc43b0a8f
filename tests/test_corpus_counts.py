"""The README rules table's corpus column (docs/corpus-counts.json) is what
the linter reports on the real corpus now: a rule whose reach changes must
have its count, and the change read, updated with scripts/corpus-counts."""

import importlib.machinery
import importlib.util
import os

import pytest

from support import CORPUS

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script():
    path = os.path.join(HERE, "scripts", "corpus-counts")
    loader = importlib.machinery.SourceFileLoader("corpus_counts", path)
    spec = importlib.util.spec_from_loader("corpus_counts", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus/real is absent")
def test_the_corpus_counts_are_todays():
    from supervisor_lint.catalog import load_counts
    from supervisor_lint.checks import all_rules
    script = _script()
    found = script.counts(script.corpus())
    table = load_counts()
    for code, rule in all_rules().items():
        if rule.category in ("host", "live"):
            continue
        assert table[code]["after"] == found.get(code, 0), (code, found.get(code, 0))
