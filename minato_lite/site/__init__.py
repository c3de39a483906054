"""Sites: the folder a visitor's browser opens, and everything that goes into it.

Owns: a site's own files before they are written (`contents`: data, runtime,
startup, notebooks), the JupyterLite app built once per configuration and
linked into every site (`app_cache`, with the page scripts in `web/` and the
kernel transport fix in `kernel_patch`), the contents index (`contents_index`),
the kernel settings (`settings`), `index.html` as the report of the site's own
notebooks (`landing`), what the lab loads first for the report's warm-up, read
from the built app (`warmup`, with `web/warmup.js`), writing a site atomically
(`writer`) and checking a built one (`verify`); deployments, where many sites
share the app and Pyodide: the shared sets (`shared`), how a site's pages reach
them (`layout`), and where a site goes and in which order (`deployment`:
folders, buckets, bookkeeping, sweeps).

May import: `notebooks`, `inputs`, `pyodide`, `report`, `store` and the base
modules. Nothing that runs code (`execute`, `sandbox`) and nothing that serves
it (`serve`).
"""
