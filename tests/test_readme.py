"""Every Python snippet of the README runs as written, warns of nothing, and
prints what its ``# prints …`` comments say."""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"),
                      flags=re.DOTALL | re.MULTILINE)
# A number with its decimals, or anything else up to the next number.
NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")


def expected_output(code):
    """The lines the snippet's ``# prints <line>`` comments announce, in order."""
    return [m.group(1).strip() for m in re.finditer(r"# prints (.+)$", code,
                                                    flags=re.MULTILINE)]


def same_up_to_the_digits_shown(printed, expected):
    """Whether ``printed`` reads as ``expected``: the same text, integers equal,
    and each decimal number within one unit of the last digit the README
    shows (a figure that rounds the other way on another machine passes; one
    that has drifted does not)."""
    got, want = NUMBER.split(printed), NUMBER.split(expected)
    if len(got) != len(want):
        return False
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        if i % 2 == 0:  # text between the numbers
            if a != b:
                return False
        elif "." not in b:
            if a != b:
                return False
        elif abs(float(a) - float(b)) > 10.0 ** -len(b.split(".")[1]) + 1e-12:
            return False
    return True


def test_the_readme_has_its_snippets():
    assert len(SNIPPETS) >= 6
    assert all(expected_output(code) for code in SNIPPETS), (
        "every snippet says what it prints")


@pytest.mark.parametrize("printed, expected, same", [
    ("20.58 0.033", "20.6 0.03", True),
    ("20.64 0.03", "20.6 0.03", True),
    ("20.2 0.02", "20.6 0.03", False),
    ("R² on the test set: 0.999", "R² on the test set: 0.998", True),
    ("R² on the test set: 0.990", "R² on the test set: 0.999", False),
    ("(1, 100)", "(1, 100)", True),
    ("(1, 101)", "(1, 100)", False),
    ("[0 1 1 0]", "[0 1 1 1]", False),
    ("accuracy: 0.97", "score: 0.97", False),
])
def test_printed_figures_are_compared_to_the_digits_shown(printed, expected, same):
    assert same_up_to_the_digits_shown(printed, expected) is same


@pytest.mark.parametrize(
    "code", SNIPPETS,
    ids=[re.search(r"from sknn_math import (\w+)", c).group(1) for c in SNIPPETS],
)
def test_readme_snippet_runs_without_a_warning_and_prints_what_it_says(
        code, tmp_path, monkeypatch):
    if "Display" in code:
        mpl = pytest.importorskip("matplotlib")
        mpl.use("Agg")
    if "skops" in code:
        pytest.importorskip("skops")
    monkeypatch.chdir(tmp_path)  # where a snippet may write a file
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the libraries' deprecations are theirs to fix, not the README's
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    if "Display" in code:
        import matplotlib.pyplot as plt

        plt.close("all")
    printed = out.getvalue().splitlines()
    expected = expected_output(code)
    assert len(printed) == len(expected), printed
    for line, want in zip(printed, expected, strict=True):
        assert same_up_to_the_digits_shown(line, want), (line, want)
