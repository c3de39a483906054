"""What the runtime says about the sample datasets, pinned for every pandas the tests run on.

The site opens on findings computed at build time (pandas 3 on the host) and a
visitor's re-run computes them again in the browser (pandas 2.2 in Pyodide): the
two lists must be the same. `tests/golden/insights.json` holds the semantic types,
key findings and group comparison of each text-format sample (the ones pandas reads
without pyarrow or openpyxl, which the browser-like test environment lacks);
`tests/test_findings.py` compares against it on whichever pandas runs the tests.
After an intended change to the rules, regenerate it (and check the diff):

    python -m tests.support.golden
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "insights.json"
TEXT_FORMATS = {".csv", ".tsv", ".json", ".jsonl"}


def samples() -> list[Path]:
    data = sorted(p for p in (REPO / "examples" / "data").iterdir() if p.suffix in TEXT_FORMATS)
    return [REPO / "examples" / "sales.csv", *data]


def current() -> dict[str, Any]:
    from minato_lite.inputs.readers import load_inputs
    from minato_lite.runtime.minato import insights, semantic

    out: dict[str, Any] = {}
    for path in samples():
        for dataset in load_inputs([path]):
            groups = insights.compare_groups(dataset.frame)
            if groups is not None:
                groups.pop("codes")  # a numpy array; `labels` and `sizes` say the same
            out[f"{path.name}:{dataset.name}"] = {
                "types": semantic.column_types(dataset.frame),
                "findings": insights.findings(dataset.frame),
                "groups": groups,
            }
    return json.loads(json.dumps(out))  # as stored: tuples become lists


def main() -> None:
    GOLDEN.write_text(json.dumps(current(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
