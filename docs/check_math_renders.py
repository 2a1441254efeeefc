"""Check that the built HTML documentation renders its formulas offline.

Run after the HTML build (CI does)::

    python docs/check_math_renders.py docs/_build/html

For every page that holds math, headless Chromium opens the page from disk with
every host name made unresolvable (the network is as absent as on a laptop on a
train) and prints the DOM once MathJax has run. The check fails when

- a page loads a script or a stylesheet from another host (``https://``, ``//``):
  the docs must not need the network to be read;
- MathJax is not bundled into ``_static/mathjax`` (``sphinx-mathjax-offline``);
- a formula is left as raw LaTeX (``\\(...\\)``, ``\\[...\\]``) or MathJax reports
  a TeX error in it, or a page has fewer rendered formulas (``<mjx-container>``)
  than math elements.

The browser is ``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the
PATH (Debian: ``apt-get install chromium``).
"""

import argparse
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MATHJAX_SCRIPT = "_static/mathjax/tex-chtml.js"
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# Sphinx's math: <span class="math notranslate nohighlight">\(...\)</span> inline,
# <div class="math notranslate nohighlight">\[...\]</div> displayed.
_MATH_CLASS = "math"


class _PageScan(html.parser.HTMLParser):
    """What one built page loads, and how many math elements it holds."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.remote_loads = []
        self.scripts = []
        self.n_math = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
            if _REMOTE.match(attrs["src"]):
                self.remote_loads.append(f"<script src={attrs['src']}>")
        if tag == "link" and attrs.get("href") and _REMOTE.match(attrs["href"]):
            rel = (attrs.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload",
                                      "icon")):
                self.remote_loads.append(f"<link rel={rel} href={attrs['href']}>")
        if tag in ("span", "div") and _MATH_CLASS in (attrs.get("class") or "").split():
            self.n_math += 1


class _RenderedMath(html.parser.HTMLParser):
    """The text left inside Sphinx's math elements once MathJax has run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.n_containers = 0
        self.n_errors = 0
        self._depth = 0  # nesting depth inside a math element, 0 outside
        self._in_mjx = 0
        self.raw = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "mjx-container":
            self.n_containers += 1
        if tag == "mjx-merror" or "data-mjx-error" in attrs:
            self.n_errors += 1
        if tag.startswith("mjx-"):
            self._in_mjx += 1
        if self._depth:
            self._depth += 1
        elif (tag in ("span", "div")
              and _MATH_CLASS in (attrs.get("class") or "").split()):
            self._depth = 1
            self.raw.append("")

    def handle_endtag(self, tag):
        if tag.startswith("mjx-") and self._in_mjx:
            self._in_mjx -= 1
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth and not self._in_mjx:
            self.raw[-1] += data


def _browser():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("check_math_renders: no Chromium found (apt-get install chromium, "
             "or set CHROMIUM)")


def _dump_dom(browser, page, profile, budget_ms):
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
        f"--user-data-dir={profile}",
        # offline: no host name resolves, so nothing can come from a CDN
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom", page.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"{browser} failed on {page} (exit {done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    return done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default="docs/_build/html",
                        type=Path, help="the HTML build (default: %(default)s)")
    parser.add_argument("--budget-ms", type=int, default=10000,
                        help="virtual time the page gets to render "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)

    html_dir = args.html_dir
    problems = []
    if not (html_dir / MATHJAX_SCRIPT).is_file():
        problems.append(f"{html_dir / MATHJAX_SCRIPT} is missing: MathJax is not "
                        "bundled (sphinx-mathjax-offline in docs/conf.py?)")

    math_pages = {}
    pages = sorted(html_dir.rglob("*.html"))
    for page in pages:
        scan = _PageScan()
        scan.feed(page.read_text(encoding="utf-8"))
        rel = page.relative_to(html_dir)
        problems += [f"{rel}: loads {what} from the network"
                     for what in scan.remote_loads]
        if scan.n_math:
            math_pages[page] = scan
            if not any(src.endswith(MATHJAX_SCRIPT) for src in scan.scripts):
                problems.append(f"{rel}: has math but does not load the bundled "
                                f"{MATHJAX_SCRIPT}")
    if not math_pages:
        problems.append(f"no page under {html_dir} holds math: wrong folder?")

    browser = _browser()
    n_formulas = 0
    with tempfile.TemporaryDirectory(prefix="check-math-") as profile:
        for page, scan in math_pages.items():
            rel = page.relative_to(html_dir)
            rendered = _RenderedMath()
            rendered.feed(_dump_dom(browser, page, profile, args.budget_ms))
            raw = [text.strip() for text in rendered.raw
                   if re.search(r"\\[(\[]", text)]
            n_formulas += rendered.n_containers
            print(f"{rel}: {scan.n_math} math elements, "
                  f"{rendered.n_containers} rendered, {len(raw)} left raw, "
                  f"{rendered.n_errors} TeX errors")
            if rendered.n_containers < scan.n_math:
                problems.append(f"{rel}: {scan.n_math} math elements but only "
                                f"{rendered.n_containers} rendered formulas")
            if raw:
                problems.append(f"{rel}: {len(raw)} formula(s) left as raw LaTeX, "
                                f"e.g. {raw[0][:80]!r}")
            if rendered.n_errors:
                problems.append(f"{rel}: MathJax reports {rendered.n_errors} "
                                "TeX error(s)")

    if problems:
        print(f"\n{len(problems)} problem(s):", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"OK: {n_formulas} formulas rendered offline on {len(math_pages)} pages; "
          f"no page of {len(pages)} loads anything from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
