"""Reading, cleaning and joining the five exports into one row per order line.

Every step counts what it drops or repairs into `audit`, so the report can say exactly
which rows were left out and why, and the totals can be reconciled.
"""

import re

import numpy as np
import pandas as pd

SEGMENTS = {"consumer", "smb", "enterprise"}


def number(key, prefix):
    """`C00042`, `c42`, ` C00042 ` -> 42; `O-100042`, `100042` -> 100042; blank -> <NA>."""
    pattern = re.compile(rf"^\s*(?:{prefix}-?)?0*(\d+)\s*$", re.IGNORECASE)

    def parse(value):
        match = pattern.match(value)
        return int(match.group(1)) if match else pd.NA

    return key.fillna("").map(parse).astype("Int64")


def read(name):
    return pd.read_csv(f"data/{name}.csv", dtype=str, keep_default_na=False)


def dedupe(table, name, audit):
    before = len(table)
    table = table.drop_duplicates()
    audit[f"{name}: exact duplicate rows removed"] = before - len(table)
    return table


def load(audit):
    customers = dedupe(read("customers"), "customers", audit)
    customers["customer"] = number(customers["customer_id"], "C")
    audit["customers: rows without an id, ignored"] = int(customers["customer"].isna().sum())
    customers = customers.dropna(subset=["customer"])
    assert customers["customer"].is_unique, "a customer id with two different rows"
    customers["segment"] = customers["segment"].str.strip().str.lower()
    customers.loc[~customers["segment"].isin(SEGMENTS), "segment"] = "unknown"

    orders = dedupe(read("orders"), "orders", audit)
    orders["order"] = number(orders["order_id"], "O")
    assert orders["order"].notna().all() and orders["order"].is_unique
    orders["customer"] = number(orders["customer_id"], "C")
    orders["order_date"] = pd.to_datetime(orders["order_date"], format="%Y-%m-%d")
    orders["currency"] = orders["currency"].str.strip().str.upper()

    lines = dedupe(read("order_lines"), "order_lines", audit)
    assert lines["line_id"].is_unique
    lines["order"] = number(lines["order_id"], "O")
    lines["gross"] = lines["quantity"].astype(int) * lines["unit_price"].astype(float)

    refunds = dedupe(read("refunds"), "refunds", audit)
    assert refunds["refund_id"].is_unique
    refunds["line_id"] = refunds["line_id"].str.strip().str.upper()
    refunds["amount"] = refunds["amount"].astype(float)

    rates = read("fx_rates")
    rates["valid_from"] = pd.to_datetime(rates["valid_from"], format="%Y-%m-%d")
    rates["valid_to"] = pd.to_datetime(rates["valid_to"], format="%Y-%m-%d")  # blank: open
    return customers, orders, lines, refunds, rates


def check_rates(rates):
    """Each currency's periods must tile time: no gaps, no overlaps, only the last open."""
    for currency, group in rates.sort_values("valid_from").groupby("currency"):
        ends = group["valid_to"].iloc[:-1].to_numpy()
        starts = group["valid_from"].iloc[1:].to_numpy()
        assert (ends == starts).all(), f"{currency}: periods overlap or leave gaps"
        assert group["valid_to"].iloc[:-1].notna().all(), f"{currency}: an open period in the middle"


def rate_for(orders, rates):
    """The EUR rate valid on each order date (valid_from inclusive, valid_to exclusive)."""
    rate = pd.Series(np.where(orders["currency"] == "EUR", 1.0, np.nan), index=orders.index)
    for currency, group in rates.groupby("currency"):
        mine = orders["currency"] == currency
        starts = group["valid_from"].sort_values().to_numpy()
        at = np.searchsorted(starts, orders.loc[mine, "order_date"].to_numpy(), side="right") - 1
        table = group.sort_values("valid_from").reset_index(drop=True)
        found = table.loc[at.clip(0)].reset_index(drop=True)
        inside = (at >= 0) & (
            found["valid_to"].isna() | (orders.loc[mine, "order_date"].to_numpy() < found["valid_to"].to_numpy())
        ).to_numpy()
        rate.loc[mine] = np.where(inside, found["eur_per_unit"].astype(float).to_numpy(), np.nan)
    return rate


def build(audit):
    customers, orders, lines, refunds, rates = load(audit)
    check_rates(rates)
    orders["rate"] = rate_for(orders, rates)
    assert orders["rate"].notna().all(), "an order without an exchange rate"

    segment = customers.set_index("customer")["segment"]
    orders["segment"] = orders["customer"].map(segment).fillna("unknown")
    audit["orders without a customer id (segment unknown)"] = int(orders["customer"].isna().sum())
    audit["orders whose customer is not in customers.csv (segment unknown)"] = int(
        (orders["customer"].notna() & ~orders["customer"].isin(customers["customer"])).sum()
    )
    audit["orders without lines"] = int((~orders["order"].isin(lines["order"])).sum())

    # One refund total per line, so a line with three partial refunds stays one row.
    per_line = refunds.groupby("line_id")["amount"].sum()
    unmatched = refunds[~refunds["line_id"].isin(lines["line_id"])]
    audit["refunds whose line is unknown or blank, left out"] = len(unmatched)
    audit["EUR value of those refunds (at face value)"] = round(unmatched["amount"].sum(), 2)
    lines["refunded"] = lines["line_id"].map(per_line).fillna(0.0)

    joined = lines.merge(
        orders[["order", "order_date", "rate", "segment"]], on="order", how="left",
        validate="many_to_one", indicator=True,
    )
    orphans = joined["_merge"] == "left_only"
    audit["order lines whose order is unknown or blank, left out"] = int(orphans.sum())
    audit["gross of those lines (order currency unknown)"] = round(joined.loc[orphans, "gross"].sum(), 2)
    joined = joined[~orphans]
    assert len(joined) == len(lines) - orphans.sum()

    ledger = pd.DataFrame({
        "line_id": joined["line_id"],
        "month": joined["order_date"].dt.strftime("%Y-%m"),
        "segment": joined["segment"],
        "net_revenue_eur": ((joined["gross"] - joined["refunded"]) * joined["rate"]).round(2) + 0.0,
    })
    return ledger.sort_values("line_id").reset_index(drop=True)
