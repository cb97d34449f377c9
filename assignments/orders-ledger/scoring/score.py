"""Scores a candidate's out/ledger.csv against hidden/ledger.csv, line by line.

Run by takehome in the sandbox with scoring/, hidden/ and the candidate's outputs/ in its
working folder. The last line it prints is one JSON object: `value` is the accuracy (the
share of truth order lines that appear exactly once in the candidate's ledger with the
right month, segment and net revenue, to the cent), and `details` say where the ledger
differs from the truth, each with a count and a few example keys:

  rows lost              truth line ids absent from the ledger
  rows invented          ledger rows whose line id is not in the truth (blank ids included)
  rows duplicated        extra rows of truth line ids that appear more than once
  rows with wrong values truth line ids present once, with another month, segment or amount
  monthly cells off      (month, segment) totals of the ledger that differ from the truth's
                         by more than one euro, or exist on one side only

So the ledger's row count = truth rows - lost + duplicated + invented.
"""

import json
import sys

import pandas as pd

COLUMNS = ["line_id", "month", "segment", "net_revenue_eur"]
EXAMPLES = 5
CENT = 0.01 + 1e-9


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def read(path, who):
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        fail(f"{who} is missing")
    except Exception as error:  # a malformed CSV: say so instead of a traceback
        fail(f"{who} is not a readable CSV: {error}")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        fail(f"{who} lacks the column(s) {', '.join(missing)} (it has {', '.join(map(str, table.columns))})")
    table = table[COLUMNS].copy()
    for column in ["line_id", "month", "segment"]:
        table[column] = table[column].str.strip()
    table["amount"] = pd.to_numeric(table["net_revenue_eur"].str.strip(), errors="coerce")
    return table


def show(key):
    key = str(key)
    if key == "":
        return "(blank)"
    return key if len(key) <= 40 else key[:37] + "..."


def detail(name, count, examples):
    return {"name": name, "count": int(count), "examples": list(examples[:EXAMPLES])}


def euros(x):
    return "no row" if pd.isna(x) else f"{x:,.2f} EUR"


def main():
    truth = read("hidden/ledger.csv", "hidden/ledger.csv")
    ledger = read("outputs/ledger.csv", "out/ledger.csv")

    truth_ids = set(truth["line_id"])
    counts = ledger["line_id"].value_counts()
    lost = [k for k in truth["line_id"] if k not in counts.index]
    invented_rows = ledger[~ledger["line_id"].isin(truth_ids)]
    invented = list(dict.fromkeys(invented_rows["line_id"]))
    duplicated = counts[(counts > 1) & counts.index.isin(truth_ids)].sort_index()
    extra_rows = int((duplicated - 1).sum())

    once = counts[counts == 1].index
    joined = truth.merge(ledger[ledger["line_id"].isin(once)], on="line_id", suffixes=("", "_got"))
    same = (
        (joined["month"] == joined["month_got"])
        & (joined["segment"] == joined["segment_got"])
        & ((joined["amount"] - joined["amount_got"]).abs() <= CENT)
    )
    wrong = joined[~same]
    wrong_examples = [
        f"{show(r.line_id)}: {show(r.month_got)} {show(r.segment_got)} {show(r.net_revenue_eur_got)}, truth {r.month} {r.segment} {r.net_revenue_eur}"
        for r in wrong.head(EXAMPLES).itertuples()
    ]

    def monthly(table):
        return table.groupby(["month", "segment"])["amount"].sum(min_count=1)

    cells = pd.concat([monthly(truth).rename("truth"), monthly(ledger).rename("got")], axis=1)
    off = cells[~((cells["truth"] - cells["got"]).abs() <= 1.0)]
    off = off.reindex((off["got"].fillna(0) - off["truth"].fillna(0)).abs().sort_values(ascending=False).index)
    off_examples = [
        f"{show(month)} {show(segment)}: {euros(row.got)}, truth {euros(row.truth)}"
        for (month, segment), row in off.head(EXAMPLES).iterrows()
    ]

    value = float(same.sum()) / len(truth)
    details = [
        detail("rows lost", len(lost), lost),
        detail("rows invented", len(invented_rows), [show(k) for k in invented[:EXAMPLES]]),
        detail("rows duplicated", extra_rows, [f"{k} x{n}" for k, n in duplicated.head(EXAMPLES).items()]),
        detail("rows with wrong values", len(wrong), wrong_examples),
        detail("monthly cells off", len(off), off_examples),
    ]
    print(f"ledger rows {len(ledger)}, truth rows {len(truth)}")
    print(json.dumps({"value": round(value, 6), "details": details}))


main()
