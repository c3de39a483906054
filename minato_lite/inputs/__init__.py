"""Inputs: what the user hands in, read and understood before anything is generated.

Owns: reading data files, DataFrames and records into named `Dataset`s
(`readers`, `naming`), numbers and dates written as text converted as they are
read (`conversion`), the column profile (semantic types) that decides which
notebook sections a dataset gets (`profile`), the stored data format of a site, CSV
plus a dtype schema (`stored_format`), the user's code as text and cells
(`code`), and the size a site's data may have (`limits`).

May import: the standard library, pandas, minato_lite's base modules
(`errors`, `log`) and the in-kernel `runtime` (so the host and the browser
type columns the same way). Nothing about notebooks, sites or Pyodide.
"""
