"""Test-session setup shared by the test suite and the doctests."""

import os

from hypothesis import settings

# scikit-learn's array-API estimator check runs only when SciPy's array-API mode is
# on; it has to be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Hypothesis profiles. "ci" draws the same examples on every run, so a red CI run
# is reproduced by running it again (print_blob also prints the failing example's
# @reproduce_failure blob); it keeps no example database, which would replay
# examples from earlier runs. "dev" searches afresh on every local run. Tests'
# own @settings override only what they name and inherit the rest from here, so
# this module must load the profile before the test modules are imported.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          database=None)
settings.register_profile("dev")
_on_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _on_ci else "dev"))
