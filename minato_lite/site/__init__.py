"""Sites: the folder a visitor's browser opens, and everything that goes into it.

Owns: a site's own files before they are written (`contents`: data, runtime,
startup, notebooks), the JupyterLite app built once per configuration and
linked into every site (`app_cache`, with the page scripts in `web/` and the
kernel transport fix in `kernel_patch`), the contents index (`contents_index`),
the kernel settings (`settings`), the landing page (`landing`), writing a site
atomically (`writer`) and checking a built one (`verify`); deployments, where
many sites share the app and Pyodide: the shared sets (`shared`), how a site's
pages reach them (`layout`), and where a site goes and in which order
(`deployment`: folders, buckets, bookkeeping, sweeps).

May import: `notebooks`, `inputs`, `pyodide`, `store` and the base modules.
Nothing that runs code (`execute`, `sandbox`) and nothing that serves it (`serve`).
"""
