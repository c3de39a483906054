"""Notebooks: nbformat documents generated from dataset profiles, templates and the user's code.

Owns: the section templates in `notebooks/` and how their parameters are
filled (`templates`), and the documents a site carries, `analysis.ipynb`,
`explorer.ipynb` and `code.ipynb`, with deterministic cell ids (`builders`).
User text reaches Markdown only through `minato_lite.markup` and code only as
`repr` literals.

May import: nbformat, `inputs` (profiles, code sources) and the base modules.
Nothing runs here: executing notebooks is `execute`'s job.
"""
