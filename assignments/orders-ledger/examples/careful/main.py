"""Net revenue per customer segment and month, from one reconciled ledger of order lines.

Writes out/ledger.csv (one row per order line), out/monthly_net_revenue.csv (the answer:
month x segment) and out/audit.json (every row dropped or repaired, and why).
"""

import json

import pandas as pd

from ledger import build


def main():
    audit = {}
    ledger = build(audit)
    ledger.to_csv("out/ledger.csv", index=False, float_format="%.2f")

    monthly = ledger.pivot_table(
        index="month", columns="segment", values="net_revenue_eur", aggfunc="sum", fill_value=0.0
    ).round(2)
    monthly["total"] = monthly.sum(axis=1).round(2)
    monthly.to_csv("out/monthly_net_revenue.csv", float_format="%.2f")

    audit["ledger rows"] = len(ledger)
    audit["net revenue, EUR"] = round(float(ledger["net_revenue_eur"].sum()), 2)
    with open("out/audit.json", "w") as f:
        json.dump(audit, f, indent=2)
    for what, count in audit.items():
        print(f"{what}: {count}")
    print(monthly.to_string())


if __name__ == "__main__":
    main()
