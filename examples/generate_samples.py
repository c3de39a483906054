"""Regenerate the sample datasets in examples/data/ (deterministic: fixed seeds).

Each file exercises something a real upload does: time zones, heavy gaps, a
wide table, free text, booleans, a single column, unicode names in UTF-16, an
Excel workbook with several sheets, typed Parquet, a web API payload and a
Latin-1 CSV with semicolons and quoted newlines, and a ledger whose numbers and
dates are written as text.

    python examples/generate_samples.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "data"
WORDS = [
    "great",
    "fast",
    "slow",
    "broken",
    "lovely",
    "cheap",
    "pricey",
    "sturdy",
    "flimsy",
    "quiet",
    "loud",
    "bright",
    "useful",
    "useless",
    "perfect",
    "awful",
    "fine",
    "decent",
    "superb",
    "poor",
    "elegant",
    "clunky",
]


def sensor_events(rng: random.Random) -> None:
    start = pd.Timestamp("2024-03-01T00:00:00+09:00")
    rows = []
    for i in range(480):
        at = start + pd.Timedelta(minutes=37 * i + rng.randint(0, 20))
        rows.append(
            {
                "recorded_at": at.isoformat(),
                "device": f"sensor-{rng.randint(1, 6)}",
                "temperature_c": round(18 + 6 * rng.random() + (i % 24) / 6, 2),
                "humidity_pct": round(40 + 30 * rng.random(), 1),
                "alarm": rng.random() < 0.05,
            }
        )
    pd.DataFrame(rows).to_csv(OUT / "sensor_events.csv", index=False)


def survey(rng: random.Random) -> None:
    rows = []
    for i in range(250):
        row = {
            "respondent": f"R{i:04d}",
            "age": rng.randint(18, 80),
            "income_k": round(rng.lognormvariate(3.6, 0.5), 1),
            "satisfaction": rng.choice(["very low", "low", "neutral", "high", "very high"]),
            "comment": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))),
            "visits": rng.randint(0, 30),
        }
        for key in ("age", "income_k", "satisfaction", "comment", "visits"):
            if rng.random() < 0.45:
                row[key] = None
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["age"] = frame["age"].astype("Int64")
    frame["visits"] = frame["visits"].astype("Int64")
    frame.to_csv(OUT / "survey_gaps.csv", index=False, encoding="utf-8-sig")


def wide(rng: random.Random) -> None:
    data = {"row": list(range(200))}
    for j in range(60):
        data[f"m{j:02d}"] = [round(rng.gauss(j, 1 + j / 10), 3) for _ in range(200)]
    pd.DataFrame(data).to_csv(OUT / "wide_metrics.tsv", index=False, sep="\t")


def reviews(rng: random.Random) -> None:
    with (OUT / "reviews.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(300):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 25)))
            record = {
                "review_id": f"rv-{i:05d}-{rng.randint(1000, 9999)}",
                "product": f"P{rng.randint(1, 140):03d}",
                "stars": rng.randint(1, 5),
                "text": text.capitalize() + ".",
                "verified": rng.random() < 0.7,
            }
            handle.write(json.dumps(record) + "\n")


def feature_flags(rng: random.Random) -> None:
    n = 40
    columns = {
        "flag": [f"feature_{i}" for i in range(n)],
        "enabled": [rng.random() < 0.5 for _ in range(n)],
        "beta_only": [rng.random() < 0.3 for _ in range(n)],
        "rollout_pct": [rng.choice([0, 5, 10, 25, 50, 100]) for _ in range(n)],
        "reviewed": [None if rng.random() < 0.2 else rng.random() < 0.5 for _ in range(n)],
    }
    (OUT / "feature_flags.json").write_text(json.dumps(columns, indent=1), encoding="utf-8")


def single_column(rng: random.Random) -> None:
    values = [round(rng.expovariate(1 / 120), 2) for _ in range(150)]
    pd.DataFrame({"latency_ms": values}).to_csv(OUT / "single_column.csv", index=False)


def unicode_names(rng: random.Random) -> None:
    frame = pd.DataFrame(
        {
            "都市": [rng.choice(["東京", "大阪", "名古屋", "札幌"]) for _ in range(60)],
            "売上 📈": [rng.randint(100, 999) for _ in range(60)],
            "المنطقة": [rng.choice(["شمال", "جنوب", "شرق"]) for _ in range(60)],
            "Größe": [round(rng.uniform(1, 2), 2) for _ in range(60)],
        }
    )
    frame.to_csv(OUT / "unicode_names.csv", index=False, encoding="utf-16")


def workbook(rng: random.Random) -> None:
    orders = pd.DataFrame(
        {
            "order": range(1, 81),
            "customer": [f"C{rng.randint(1, 12):02d}" for _ in range(80)],
            "placed": pd.date_range("2024-01-01", periods=80, freq="D"),
            "amount": [round(rng.uniform(5, 500), 2) for _ in range(80)],
        }
    )
    customers = pd.DataFrame(
        {
            "customer": [f"C{i:02d}" for i in range(1, 13)],
            "segment": [rng.choice(["retail", "wholesale", "online"]) for _ in range(12)],
            "since": [2015 + rng.randint(0, 9) for _ in range(12)],
        }
    )
    with pd.ExcelWriter(OUT / "workbook.xlsx", engine="openpyxl") as writer:
        orders.to_excel(writer, sheet_name="Orders", index=False)
        customers.to_excel(writer, sheet_name="Customers", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Notes (empty)", index=False)


def measurements(rng: random.Random) -> None:
    frame = pd.DataFrame(
        {
            "site": pd.Categorical(
                [rng.choice(["alpha", "beta", "gamma"]) for _ in range(120)],
                categories=["alpha", "beta", "gamma", "delta"],
            ),
            "taken": pd.date_range("2024-05-01", periods=120, freq="6h", tz="Europe/Paris"),
            "count": pd.array(
                [None if rng.random() < 0.1 else rng.randint(0, 50) for _ in range(120)],
                dtype="Int64",
            ),
            "level": [rng.gauss(10, 2) for _ in range(120)],
            "duration": pd.to_timedelta([rng.randint(1, 3600) for _ in range(120)], unit="s"),
        }
    )
    frame.to_parquet(OUT / "measurements.parquet", index=False)


def api_payload(rng: random.Random) -> None:
    data = [
        {
            "user": f"u{i}",
            "plan": rng.choice(["free", "pro", "team"]),
            "seats": rng.randint(1, 20),
            "signed_up": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "meta": {"source": rng.choice(["ads", "search", "friend"]), "score": rng.randint(0, 9)},
        }
        for i in range(90)
    ]
    payload = {"data": data, "analysisType": "comprehensive"}
    (OUT / "api_payload.json").write_text(json.dumps(payload), encoding="utf-8")


def legacy_latin1(rng: random.Random) -> None:
    lines = ['"client";"ville";"montant";"remarque"']
    for i in range(50):
        ville = rng.choice(["Genève", "Zürich", "Besançon", "Málaga"])
        note = "livré\nen retard" if i % 7 == 0 else rng.choice(["ok", "à revoir", "payé"])
        lines.append(
            f'"Client {i}";"{ville}";{rng.randint(10, 900)},{rng.randint(0, 99):02d};"{note}"'
        )
    (OUT / "legacy_latin1.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


def store_ledger(rng: random.Random) -> None:
    """Numbers and dates written as text, as spreadsheets export them: currency, percent
    and thousands separators, day-first dates, epoch seconds, a fiscal year, Y/N flags,
    postcodes with leading zeros and invoice numbers."""
    regions = {"North": 1.0, "South": 1.4, "East": 0.8, "West": 2.2}
    start = pd.Timestamp("2021-01-04")
    rows = []
    for i in range(240):
        region = rng.choice(list(regions))
        issued = start + pd.Timedelta(days=3 * i + rng.randint(0, 2))
        amount = round(regions[region] * rng.uniform(200, 1800), 2)
        quantity = rng.randint(1, 40) * (100 if rng.random() < 0.3 else 1)
        rows.append(
            {
                "invoice": f"INV-{i + 1:04d}",
                "issued": issued.strftime("%d/%m/%Y"),
                "created_at": int((issued + pd.Timedelta(hours=9)).timestamp()),
                "fiscal_year": issued.year,
                "region": region,
                "amount": f"${amount:,.2f}",
                "discount": f"{rng.choice([0, 2.5, 5, 10, 12.5])}%",
                "quantity": f"{quantity:,}",
                "paid": rng.choice(["Y", "Y", "Y", "N"]),
                "postcode": rng.choice(["02139", "01002", "10001", "94103", "00501"]),
            }
        )
    pd.DataFrame(rows).to_csv(OUT / "store_ledger.csv", index=False)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for seed, make in enumerate(
        [
            sensor_events,
            survey,
            wide,
            reviews,
            feature_flags,
            single_column,
            unicode_names,
            workbook,
            measurements,
            api_payload,
            legacy_latin1,
            store_ledger,
        ]
    ):
        make(random.Random(seed))
    print("\n".join(sorted(p.name for p in OUT.iterdir())))


if __name__ == "__main__":
    main()
