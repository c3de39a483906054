"""Execute: running generated notebooks on the host, bounded, and storing what they show.

Owns: the warm executor, worker processes that import pandas and matplotlib
once and run our notebook templates under CPython with time and memory limits
(`executor`, with `host_shell`, the IPython shell inside each worker); putting
outputs into notebooks (`place_outputs`); pre-rendering a site's notebooks at build
time (`prerender`); and `check --execute` on a built site (`check`).

Only minato-lite's own templates run on the host. The user's code goes to the
WebAssembly sandbox (`minato_lite.sandbox`), through a runner this package is
handed or, in `check`, by calling the sandbox itself.

May import: `sandbox`, `site`, `notebooks`, `inputs`, `pyodide` and the base
modules. Never `build` or anything above it.
"""
