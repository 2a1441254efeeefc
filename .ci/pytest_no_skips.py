"""pytest plugin for CI: every test runs; a skipped test fails the run.

A developer's light install (``pip install -e ".[test]"``) lacks the heavy peers
of the ``oracles`` and ``onnx`` extras, and the tests that need them skip with the
reason. CI installs every extra, so there such a skip means a missing package, or
a test that no longer runs: ``.ci/run`` loads this plugin
(``PYTHONPATH=.ci python -m pytest -p pytest_no_skips``), which lists every skip
at the end of the run and turns the exit status into a failure, but for the
skips in ``ALLOWED``. Expected failures (xfail) are not skips and are left alone.
"""

import re

import pytest

# Skips that are no fault of the environment, each with its reason.
ALLOWED = [
    # scikit-learn's estimator checks for decision_function raise SkipTest for
    # an estimator without one; our classifiers have predict_proba only.
    re.compile(r"does not have a decision_function method"),
    # scikit-learn's array-API checks also ask for GPU devices and GPU-only
    # libraries (CUDA, XPU and MPS devices, CuPy, dpnp); CI runs on CPUs, where
    # the same checks run on array-api-strict and PyTorch CPU tensors.
    re.compile(r"PyTorch test requires cuda, which is not available"),
    re.compile(r"Skipping XPU device test because no XPU device is available"),
    re.compile(r"Skipping MPS device test because PYTORCH_ENABLE_MPS_FALLBACK"),
    re.compile(r"(cupy|dpnp) is not installed: not checking array_api input"),
]

_skips = []


def _reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (path, lineno, "Skipped: reason")
        return longrepr[2].removeprefix("Skipped: ")
    return str(longrepr)


def _record(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _reason(report)
        if not any(pattern.search(reason) for pattern in ALLOWED):
            _skips.append((report.nodeid, reason))


def pytest_collectreport(report):
    _record(report)  # a module skipped at import (module-level importorskip)


def pytest_runtest_logreport(report):
    _record(report)


def pytest_sessionfinish(session, exitstatus):
    if _skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if not _skips:
        return
    terminalreporter.section("skips CI does not allow (.ci/pytest_no_skips.py)",
                             red=True)
    for nodeid, reason in _skips:
        terminalreporter.line(f"{nodeid or '<collection>'}: {reason}", red=True)
    terminalreporter.line(f"{len(_skips)} test(s) or module(s) skipped: CI installs "
                          '".[test,oracles,onnx]" and runs every test', red=True)
