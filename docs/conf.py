"""Sphinx configuration of the sknn_math documentation.

Build it (the CI does, with warnings as errors, running every example) with::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import re
import warnings

import sknn_math

project = "sknn_math"
author = "The sknn_math developers"
copyright = "the sknn_math developers, BSD-3-Clause"
release = sknn_math.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax itself, copied into _build/html/_static/mathjax: formulas render
    # in pages opened offline, with no CDN (docs/check_math_renders.py checks it)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "myst_parser",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False  # autosummary templates list the members
numpydoc_class_members_toctree = False

# -- Gallery: every examples/plot_*.py runs at build time ------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore", category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "doc_module": ("sknn_math",),
    "backreferences_dir": "generated",
    "reference_url": {"sknn_math": None},
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 1,
    # the computation-times pages load jQuery and DataTables from CDNs; the docs
    # must read offline (docs/check_math_renders.py checks every page)
    "write_computation_times": False,
}
exclude_patterns += ["sg_execution_times.rst", "auto_examples/sg_execution_times.rst"]

# -- HTML -----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_math {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

# benchmarks/README.md (the latest tables) is included into benchmarks.rst through
# MyST, by way of a stub written here so that a checkout without the tables still
# builds.
source_suffix = {".rst": "restructuredtext"}
myst_heading_anchors = 3
exclude_patterns.append("generated/benchmarks_results.rst")
_HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(_HERE, "generated"), exist_ok=True)
with open(os.path.join(_HERE, "generated", "benchmarks_results.rst"), "w") as stub:
    if os.path.exists(os.path.join(_HERE, "..", "benchmarks", "README.md")):
        stub.write(".. include:: /../benchmarks/README.md\n"
                   "   :parser: myst_parser.sphinx_\n")
    else:
        stub.write(".. note::\n\n   ``benchmarks/README.md`` is missing from this "
                   "checkout: run the commands above to produce the tables.\n")


# -- Docstring hygiene ----------------------------------------------------------
# Inherited scikit-learn methods (score, get_params, set_output, the metadata
# routing setters) refer to labels of scikit-learn's own documentation; keep their
# text, drop the dangling cross-references.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?P<text>[^`<]+?)\s*(?:<[^`>]*>)?`")
# A bare word ending in "_" (a fitted attribute such as n_features_in_, written
# without backticks) is a hyperlink target in reStructuredText; escape it.
_BARE_ATTRIBUTE = re.compile(r"(?<![\\\w])(?P<word>[A-Za-z]\w*)_(?=[\s,.;:)\]]|$)")


def _outside_literals(line, fix):
    parts = line.split("`")
    parts[::2] = [fix(part) for part in parts[::2]]
    return "`".join(parts)


def _clean_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn"):
        lines[:] = [_SKLEARN_ROLE.sub(r"\g<text>", line) for line in lines]
        return
    if not module.startswith("sknn_math"):
        return
    # A raw docstring keeps the backslash of a parameter type continued on the
    # next line; join the two lines as Python does in a normal string.
    joined = []
    for line in lines:
        if joined and joined[-1].rstrip().endswith("\\"):
            joined[-1] = joined[-1].rstrip()[:-1].rstrip() + " " + line.strip()
        else:
            joined.append(line)
    lines[:] = [
        line if line.lstrip().startswith((">>>", "...", ".. "))
        else _outside_literals(line, lambda s: _BARE_ATTRIBUTE.sub(r"\g<word>\\_", s))
        for line in joined
    ]


def setup(app):
    # before numpydoc (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _clean_docstring, priority=100)
