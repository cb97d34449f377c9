"""Monthly net revenue per customer segment: join the five exports and sum.

Writes out/ledger.csv (one row per order line) and out/monthly_net_revenue.csv.
"""

import pandas as pd


def clean_id(column, prefix):
    """C00042, c42, ' C00042 ' -> 42 (and the same for O-100042 / 100042)."""
    digits = column.fillna("").str.strip().str.upper().str.replace(f"{prefix}-", "").str.lstrip(prefix)
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


customers = pd.read_csv("data/customers.csv", dtype=str, keep_default_na=False)
orders = pd.read_csv("data/orders.csv", dtype=str, keep_default_na=False)
lines = pd.read_csv("data/order_lines.csv", dtype=str, keep_default_na=False)
refunds = pd.read_csv("data/refunds.csv", dtype=str, keep_default_na=False)
rates = pd.read_csv("data/fx_rates.csv", dtype=str, keep_default_na=False)

customers["customer"] = clean_id(customers["customer_id"], "C")
customers["segment"] = customers["segment"].str.strip().str.lower().replace("", "unknown")
orders["customer"] = clean_id(orders["customer_id"], "C")
orders["order"] = clean_id(orders["order_id"], "O")
orders["currency"] = orders["currency"].str.upper()
lines["order"] = clean_id(lines["order_id"], "O")
refunds["line_id"] = refunds["line_id"].str.upper()

# Orders with their customer's segment.
df = orders.merge(customers[["customer", "segment"]], on="customer", how="left")
df["segment"] = df["segment"].fillna("unknown")

# Lines with their order.
df = lines.merge(df, on="order", how="inner")

# Refunds on each line.
df = df.merge(refunds[["line_id", "amount"]], on="line_id", how="left")
df["refund"] = pd.to_numeric(df["amount"]).fillna(0.0)

# Exchange rate valid on the order date.
eur = pd.DataFrame({"currency": ["EUR"], "valid_from": ["2000-01-01"], "valid_to": ["2100-01-01"], "eur_per_unit": ["1"]})
rates = pd.concat([rates, eur])
rates["valid_to"] = rates["valid_to"].replace("", "2100-01-01")
df = df.merge(rates, on="currency", how="left")
df = df[(df["order_date"] >= df["valid_from"]) & (df["order_date"] <= df["valid_to"])]

gross = df["quantity"].astype(int) * df["unit_price"].astype(float)
df["net_revenue_eur"] = ((gross - df["refund"]) * df["eur_per_unit"].astype(float)).round(2)
df["month"] = df["order_date"].str[:7]

ledger = df[["line_id", "month", "segment", "net_revenue_eur"]].sort_values("line_id")
ledger.to_csv("out/ledger.csv", index=False, float_format="%.2f")

monthly = ledger.pivot_table(index="month", columns="segment", values="net_revenue_eur", aggfunc="sum").round(2)
monthly["total"] = monthly.sum(axis=1).round(2)
monthly.to_csv("out/monthly_net_revenue.csv", float_format="%.2f")
print(f"{len(ledger)} order lines, net revenue {ledger['net_revenue_eur'].sum():,.2f} EUR")
print(monthly.to_string())
