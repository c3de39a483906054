"""Runtime: the in-kernel `minato` package that every site ships (`runtime/minato/`), and
the cell runner that runs inside Pyodide (`pyodide_shell.py`: the sandbox's Deno worker and
the report's live-cell worker run cells with it; host Python never imports it).

It runs in the visitor's Pyodide kernel and, when a site's notebooks are
pre-rendered or checked, under CPython: standard library until pandas is
needed. The host imports its pure parts too, so a column is typed the same
way at build time and in the browser.

May import: nothing of minato_lite (it must run inside a site, alone).
"""
