"""Monthly net revenue per customer segment, from a de-duplicated ledger of order lines.

Writes out/ledger.csv (one row per order line) and out/monthly_net_revenue.csv.
"""

import pandas as pd


def read(name):
    """A table with exact duplicate rows (export glitches) removed."""
    table = pd.read_csv(f"data/{name}.csv", dtype=str, keep_default_na=False).drop_duplicates()
    print(f"{name}: {len(table)} rows")
    return table


def key(column, prefix):
    """C00042, c42, ' C00042 ' -> 42; O-100042, 100042 -> 100042."""
    digits = column.str.strip().str.upper().str.replace(f"{prefix}-", "", regex=False).str.lstrip(prefix)
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


customers = read("customers")
orders = read("orders")
lines = read("order_lines")
refunds = read("refunds")
rates = read("fx_rates")

customers["customer"] = key(customers["customer_id"], "C")
customers["segment"] = customers["segment"].str.strip().str.lower()
customers = customers[customers["segment"] != ""].dropna(subset=["customer"])
orders["customer"] = key(orders["customer_id"], "C")
orders["order"] = key(orders["order_id"], "O")
orders["currency"] = orders["currency"].str.upper()
orders["order_date"] = pd.to_datetime(orders["order_date"])
lines["order"] = key(lines["order_id"], "O")

# A line may have several partial refunds: sum them first so the line stays one row.
refunds["line_id"] = refunds["line_id"].str.strip().str.upper()
refunded = refunds.assign(amount=refunds["amount"].astype(float)).groupby("line_id")["amount"].sum()

# The EUR rate valid on each order date: valid_from inclusive, valid_to exclusive.
rates["valid_from"] = pd.to_datetime(rates["valid_from"])
rates["valid_to"] = pd.to_datetime(rates["valid_to"]).fillna(pd.Timestamp("2100-01-01"))
rates["eur_per_unit"] = rates["eur_per_unit"].astype(float)
with_rate = orders.merge(rates, on="currency", how="left")
with_rate = with_rate[
    (with_rate["currency"] == "EUR")
    | ((with_rate["order_date"] >= with_rate["valid_from"]) & (with_rate["order_date"] < with_rate["valid_to"]))
]
with_rate["eur_per_unit"] = with_rate["eur_per_unit"].fillna(1.0)
assert with_rate["order"].is_unique

df = (
    lines.merge(with_rate[["order", "customer", "order_date", "eur_per_unit"]], on="order")
    .merge(customers[["customer", "segment"]], on="customer")
)
df["refund"] = df["line_id"].map(refunded).fillna(0.0)
gross = df["quantity"].astype(int) * df["unit_price"].astype(float)
df["net_revenue_eur"] = ((gross - df["refund"]) * df["eur_per_unit"]).round(2)
df["month"] = df["order_date"].dt.strftime("%Y-%m")
assert df["line_id"].is_unique

ledger = df[["line_id", "month", "segment", "net_revenue_eur"]].sort_values("line_id")
ledger.to_csv("out/ledger.csv", index=False, float_format="%.2f")
monthly = ledger.pivot_table(index="month", columns="segment", values="net_revenue_eur", aggfunc="sum").round(2)
monthly["total"] = monthly.sum(axis=1).round(2)
monthly.to_csv("out/monthly_net_revenue.csv", float_format="%.2f")
print(f"{len(ledger)} order lines, net revenue {ledger['net_revenue_eur'].sum():,.2f} EUR")
print(monthly.to_string())
