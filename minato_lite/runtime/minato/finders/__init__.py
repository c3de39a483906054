"""The code behind `minato.insights`, one module per family of finding, so that each
family can be read, and checked against its thresholds, on its own. `insights` composes
them into `findings`, and the public names are imported from there.

Lowest first; a module imports only modules listed before it (no cycles):
`thresholds` (with `Budget`), `kinds`, `wording` and `stats` import none of these;
`columns`, the column model; the families `per_column`, `duplicates`, `correlations`,
`groups` (which reads `correlations`) and `timeseries`; then `ranking` and `markdown`,
which findings are shown, and how.
"""
