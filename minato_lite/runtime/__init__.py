"""Runtime: the in-kernel `minato` package that every site ships (`runtime/minato/`).

It runs in the visitor's Pyodide kernel and, when a site's notebooks are
pre-rendered or checked, under CPython: standard library until pandas is
needed. The host imports its pure parts too, so a column is typed the same
way at build time and in the browser.

May import: nothing of minato_lite (it must run inside a site, alone).
"""
