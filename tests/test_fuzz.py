"""A few hundred fuzzed inputs through every format and --fix (see
fuzzing.py for the mutations and what must hold); scripts/fuzz runs the
same campaign at any length."""

import os

from fuzzing import campaign, sarif_validator

COUNT = int(os.environ.get("SUPERVISOR_LINT_FUZZ_COUNT", "300"))
SEED = int(os.environ.get("SUPERVISOR_LINT_FUZZ_SEED", "8"))


def test_fuzzed_inputs_hold_every_promise(tmp_path):
    failures = campaign(COUNT, SEED, str(tmp_path), sarif_validator())
    assert failures == [], "\n".join("%s: %s" % (label, "; ".join(problems[:3]))
                                     for label, problems in failures[:10])
