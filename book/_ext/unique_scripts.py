"""Sphinx extension: each script once per page.

sphinx-thebe 0.3.1 registers its inline configuration script (``const THEBE_JS_URL = ...``) twice under Sphinx 7,
and a page that declares the same ``const`` twice stops with a SyntaxError in the browser. Dropping exact
duplicates from every page's script list removes the error without touching what the scripts do.
"""

from __future__ import annotations


def _unique(app, pagename, templatename, context, doctree) -> None:
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # inline scripts come with filename None or "" depending on how they were registered
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _unique, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
