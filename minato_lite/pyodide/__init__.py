"""Pyodide distributions: the one `PyodideDistribution` type and everything that makes one.

Owns: where a distribution is and what it holds (`distribution`), its lockfile
rules (`lockfile`), assembling one from the registries and caching the
defaults (`assemble`), the scientific stand-in (`scientific`), the default
Pyodide with pandas (`defaults`), and what an offline site must ship
(`offline`).

May import: the standard library, jupyterlite-pyodide-kernel's constants, and
minato_lite's base modules (`errors`, `log`, `cache`). Nothing about sites,
notebooks or datasets: a distribution does not know what it will serve.
"""
