"""Serve: built sites over HTTP, and the web API a product backend calls.

Owns: static serving with the headers Pyodide and JupyterLite need (`static`,
used by `minato-lite serve` and the API's `/sites/`), and the API that turns a
request's code and rows into a site (`api`).

May import: `build` (the API is a thin shell over `build_site`), `execute` and
`sandbox` for their warm pools, `site` for its marker, and the base modules.
"""
