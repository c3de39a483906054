"""Publishing: where a built site goes, and in which order, so no visitor loads half of one.

Owns: the kinds of target a build can go to, one type each, all published in
two steps, stage then commit (`targets`: a standalone site in a folder or a
bucket, a site of a deployment); the one composition of a site's tree, which
`build` and the `jupyter lite build` addon share (`staging`), with where its
app comes from (`apps`); deployments, where many sites share the app and
Pyodide: the shared sets (`shared`), how a site's pages reach them (`layout`),
and the bookkeeping, publishing leases and sweeps any replica can run
(`deployment`).

May import: `site`, `store`, `pyodide`, `notebooks`, `report`, `inputs` and the
base modules. Nothing that runs code (`execute`, `sandbox`) and nothing above it.
"""
