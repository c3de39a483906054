"""Sites: what a site is, the folder a visitor's browser opens and what goes into it.

Owns: a site's own files before they are written (`contents`: data, runtime,
startup, notebooks), the JupyterLite app built once per configuration
(`app_cache`, with the page scripts in `web/` and the kernel's patches in
`kernel_patch`), the contents index (`contents_index`), the kernel settings
(`settings`), `index.html` as the report of the site's own notebooks
(`landing`), what the lab loads first for the report's warm-up (`warmup`, with
`web/warmup.js`), the marker that makes a folder a site (`marker`) and
checking a built one (`verify`). Where a site goes, and how it is assembled and
committed there, is `publish`'s business.

May import: `notebooks`, `inputs`, `pyodide`, `report`, `store` and the base
modules. Nothing that runs code (`execute`, `sandbox`), nothing that publishes
(`publish`) and nothing that serves (`serve`).
"""
