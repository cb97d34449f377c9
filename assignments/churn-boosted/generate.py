#!/usr/bin/env python3
"""Deterministic generator for the `churn-boosted` assignment (the same data as `churn`).

Writes data/train.csv, data/test.csv and hidden/test_labels.csv. Python 3 standard
library only; running it again rewrites the three files byte-identically.

The ground truth is a logistic model of 12-month churn with a few interactions and a
latent "dissatisfaction" factor that is only partly visible through support tickets,
usage decline and login recency, so even a perfect model of the observed columns stays
well below ROC-AUC 1.0. Churn is concentrated around the end of a promotional price
(month 10-14 of tenure) and among month-to-month customers hit by a price increase.
"""

import csv
import math
import os
import random

SEED = 20240611
N_TRAIN = 1500
N_TEST = 800

PLANS = [("basic", 0.45, 19.0), ("standard", 0.35, 39.0), ("premium", 0.20, 69.0)]
REGIONS = [("north", 0.24), ("south", 0.22), ("east", 0.20), ("west", 0.22), ("central", 0.12)]
CHANNELS = [("organic", 0.40), ("paid_search", 0.28), ("referral", 0.20), ("partner", 0.12)]
REGION_EFFECT = {"north": 0.0, "south": 0.25, "east": -0.05, "west": 0.05, "central": -0.15}
CHANNEL_EFFECT = {"organic": 0.0, "paid_search": 0.35, "referral": -0.35, "partner": 0.1}
CONTRACT_EFFECT = {"month-to-month": 0.0, "annual": -1.1, "two-year": -1.9}
INTERCEPT = -1.45
SHARPNESS = 1.4  # scales every effect: higher means less label noise

COLUMNS = [
    "customer_id", "tenure_months", "contract", "plan", "monthly_charges", "addons",
    "autopay", "payment_failures_12m", "support_tickets_90d", "avg_weekly_sessions",
    "usage_change_3m", "days_since_last_login", "price_increase_6m", "on_promo",
    "region", "acquisition_channel",
]


def pick(rng, options):
    """Draw a name from [(name, weight, ...)] tuples."""
    u = rng.random() * sum(o[1] for o in options)
    for o in options:
        u -= o[1]
        if u <= 0:
            return o
    return options[-1]


def poisson(rng, lam):
    """Knuth's method; fine for the small rates used here."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def customer(rng, index):
    z = rng.gauss(0.0, 1.0)  # latent dissatisfaction, never published

    tenure = min(72, 1 + int(rng.expovariate(1.0 / 18.0)))
    u = rng.random()
    if tenure < 6:
        contract = "month-to-month" if u < 0.85 else "annual"
    else:
        p_two = min(0.25, tenure / 200.0)
        contract = "two-year" if u < p_two else ("annual" if u < p_two + 0.30 else "month-to-month")

    plan, _, base_price = pick(rng, PLANS)
    addons = min(3, poisson(rng, 0.4 + (0.5 if plan == "premium" else 0.0)))
    on_promo = 1 if (tenure <= 16 and rng.random() < 0.35) else 0
    price_increase = 1 if rng.random() < 0.18 else 0
    charges = base_price + 7.5 * addons + rng.gauss(0.0, 2.0)
    if on_promo:
        charges *= 0.8
    if price_increase:
        charges *= 1.1
    charges = max(9.99, charges)

    autopay = 1 if rng.random() < (0.45 + 0.004 * tenure) else 0
    payment_failures = poisson(rng, 0.12 if autopay else 0.45)

    tickets = poisson(rng, max(0.05, 0.8 * math.exp(0.55 * z) + (0.3 if plan == "premium" else 0.0)))
    sessions = max(0.1, math.exp(1.5 + 0.15 * addons - 0.25 * z + rng.gauss(0.0, 0.5)))
    usage_change = max(-0.95, min(1.5, 0.02 - 0.17 * z + rng.gauss(0.0, 0.18)))
    days_login = int(min(90, rng.expovariate(1.0 / (3.0 + 5.0 * math.exp(0.5 * z)))))

    region = pick(rng, REGIONS)[0]
    channel = pick(rng, CHANNELS)[0]

    logit = INTERCEPT + SHARPNESS * (
        CONTRACT_EFFECT[contract]
        - 0.45 * math.log(tenure)
        + 0.35 * min(tickets, 6)
        + (0.30 * min(tickets, 6) if plan == "premium" else 0.0)
        + 0.70 * payment_failures * (0.4 if autopay else 1.0)
        - 2.6 * usage_change
        + 0.025 * days_login
        - 0.30 * addons
        + (0.90 if (price_increase and contract == "month-to-month") else 0.15 * price_increase)
        + (1.60 if (on_promo and 10 <= tenure <= 14) else 0.0)
        + 0.012 * (charges - base_price)
        + REGION_EFFECT[region]
        + CHANNEL_EFFECT[channel]
        + 0.45 * z
        + rng.gauss(0.0, 0.25)
    )
    churned = 1 if rng.random() < sigmoid(logit) else 0

    row = {
        "customer_id": f"C{100000 + index}",
        "tenure_months": str(tenure),
        "contract": contract,
        "plan": plan,
        "monthly_charges": f"{charges:.2f}",
        "addons": str(addons),
        "autopay": str(autopay),
        "payment_failures_12m": str(payment_failures),
        "support_tickets_90d": str(tickets),
        "avg_weekly_sessions": f"{sessions:.2f}",
        "usage_change_3m": f"{usage_change:.3f}",
        "days_since_last_login": str(days_login),
        "price_increase_6m": str(price_increase),
        "on_promo": str(on_promo),
        "region": region,
        "acquisition_channel": channel,
    }
    # Tracking gaps: the usage pipeline missed some accounts.
    if rng.random() < 0.04:
        row["avg_weekly_sessions"] = ""
    if rng.random() < 0.03:
        row["usage_change_3m"] = ""
    return row, churned


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(SEED)
    people = [customer(rng, i) for i in range(N_TRAIN + N_TEST)]
    # Shuffle ids so the split carries no ordering signal.
    order = list(range(len(people)))
    rng.shuffle(order)
    train = [people[i] for i in order[:N_TRAIN]]
    test = [people[i] for i in order[N_TRAIN:]]
    train.sort(key=lambda p: p[0]["customer_id"])
    test.sort(key=lambda p: p[0]["customer_id"])

    write(os.path.join(here, "data", "train.csv"), COLUMNS + ["churned"],
          [[r[c] for c in COLUMNS] + [str(y)] for r, y in train])
    write(os.path.join(here, "data", "test.csv"), COLUMNS,
          [[r[c] for c in COLUMNS] for r, _ in test])
    write(os.path.join(here, "hidden", "test_labels.csv"), ["customer_id", "churned"],
          [[r["customer_id"], str(y)] for r, y in test])


if __name__ == "__main__":
    main()
