#!/usr/bin/env python3
"""Deterministic generator for the `orders-ledger` assignment.

Writes data/customers.csv, data/orders.csv, data/order_lines.csv, data/refunds.csv,
data/fx_rates.csv and hidden/ledger.csv. Python 3 standard library only; running it again
rewrites the six files byte-identically.

An online shop sells to consumers, small businesses (smb) and enterprises in EUR, USD, GBP
and CHF during 2024. The generator first draws a clean history (customers, orders, order
lines, partial refunds, exchange rates valid over date ranges), computes the truth from it,
and then writes the public tables the way three source systems really export them:

  key spellings   orders.customer_id as C00042, c00042, C42 or " C00042 "; order_lines.order_id
                  as O-100042 or, from the B2B system, 100042; refunds.line_id in lower case
                  now and then; currencies in lower case now and then; segments in any case
                  with stray spaces.
  one-to-many     a refunded line may have two or three partial refunds; exchange rates have
                  one row per currency and period.
  date ranges     fx_rates.csv: valid_from inclusive, valid_to exclusive (= the next period's
                  valid_from), the last period of each currency open (valid_to empty). EUR is
                  not in the table (one EUR is one EUR).
  orphans         orders whose customer is not in customers.csv or has no customer id (guest
                  checkout): their lines count, under segment `unknown`; customers without
                  orders and orders without lines: nothing to count; order lines whose order
                  is not in orders.csv or has no order id, and refunds whose line is not in
                  order_lines.csv or has no line id: cannot be dated or attributed, so they
                  are not in the ledger.
  duplicates      a few rows of every table except fx_rates.csv are exported twice, exactly.

hidden/ledger.csv is the truth: one row per real order line with its month (of the order
date), the customer's segment (consumer, smb, enterprise, or unknown), and its net revenue
in EUR: (quantity x unit_price - refunds on the line) x the EUR rate valid on the order
date, rounded to cents.
"""

import csv
import datetime
import os
import random

SEED = 20240917
YEAR = 2024
N_CUSTOMERS = 420
N_ORDERS = 2300
SEGMENTS = [("consumer", 0.62), ("smb", 0.28), ("enterprise", 0.10)]
SEGMENT_SPELLINGS = {
    "consumer": ["Consumer", "CONSUMER", " consumer"],
    "smb": ["SMB", "Smb", "smb "],
    "enterprise": ["Enterprise", "ENTERPRISE", "enterprise "],
}
COUNTRIES = [("DE", 0.30), ("FR", 0.18), ("NL", 0.10), ("GB", 0.18), ("US", 0.16), ("CH", 0.08)]
CURRENCY = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "GB": "GBP", "US": "USD", "CH": "CHF"}
EUR_PER_UNIT = {"USD": 0.92, "GBP": 1.17, "CHF": 1.04}
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dario", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas",
               "Kira", "Luca", "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara"]
LAST_NAMES = ["Andersen", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Horvat",
              "Ivanova", "Jansen", "Kowalski", "Laine", "Moreau", "Novak", "Olsen", "Perez"]
COMPANY = ["Works", "Labs", "Systems", "Trading", "Group", "Partners", "Logistics", "Foods"]


def pick(rng, options):
    """Draw a name from [(name, weight)] pairs."""
    u = rng.random() * sum(o[1] for o in options)
    for o in options:
        u -= o[1]
        if u <= 0:
            return o[0]
    return options[-1][0]


def cents(x):
    """Round half away from zero to cents, as a string with two decimals."""
    return f"{x:.2f}"


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def with_duplicates(rng, rows, n):
    """Rows with n of them exported a second time, each right after a random later row."""
    rows = list(rows)
    for row in rng.sample(rows, n):
        at = rng.randrange(rows.index(row) + 1, len(rows) + 1)
        rows.insert(at, list(row))
    return rows


def fx_periods(rng):
    """{currency: [(valid_from, valid_to or None, rate)]} covering 2023-12-01 onwards."""
    periods = {}
    for currency, rate in EUR_PER_UNIT.items():
        start, spans = datetime.date(2023, 12, 1), []
        while start <= datetime.date(YEAR, 12, 31):
            end = start + datetime.timedelta(days=rng.randint(6, 30))
            rate = round(rate * (1 + rng.gauss(0, 0.012)), 4)
            spans.append((start, end, rate))
            start = end
        last = spans[-1]
        spans[-1] = (last[0], None, last[2])
        periods[currency] = spans
    return periods


def rate_on(periods, currency, day):
    if currency == "EUR":
        return 1.0
    for start, end, rate in periods[currency]:
        if start <= day and (end is None or day < end):
            return rate
    raise ValueError(f"no {currency} rate on {day}")


def main():
    rng = random.Random(SEED)
    here = os.path.dirname(os.path.abspath(__file__))
    periods = fx_periods(rng)

    # Customers: number -> (segment, country). Numbers 1..N_CUSTOMERS exist; a few more
    # (deleted accounts) are referenced by orders but missing from the export.
    customers = {}
    for n in range(1, N_CUSTOMERS + 1):
        customers[n] = (pick(rng, SEGMENTS), pick(rng, COUNTRIES))
    blank_segment = set(rng.sample(sorted(customers), 9))
    deleted = list(range(N_CUSTOMERS + 1, N_CUSTOMERS + 26))
    deleted_info = {n: (pick(rng, SEGMENTS), pick(rng, COUNTRIES)) for n in deleted}
    weights = {n: {"consumer": 1.0, "smb": 2.5, "enterprise": 5.0}[s] for n, (s, _) in customers.items()}
    # About 40 customers never order.
    for n in rng.sample(sorted(customers), 40):
        weights[n] = 0.0
    known = sorted(customers)
    known_weights = [weights[n] for n in known]

    # Products: sku -> list price in EUR.
    skus = {f"SKU-{i:04d}": round(rng.lognormvariate(3.3, 0.8), 2) for i in range(1, 81)}
    sku_list = sorted(skus)

    start = datetime.date(YEAR, 1, 1)
    orders, lines, refunds, truth = [], [], [], []
    line_no, refund_no = 0, 0
    for i in range(N_ORDERS):
        order_no = 100001 + i
        # Growth over the year: later days are more likely.
        day = start + datetime.timedelta(days=int(366 * rng.random() ** 0.8))
        kind = rng.random()
        if kind < 0.04:
            customer, segment, country = None, "unknown", pick(rng, COUNTRIES)
        elif kind < 0.085:
            customer = rng.choice(deleted)
            segment, country = "unknown", deleted_info[customer][1]
        else:
            customer = rng.choices(known, known_weights)[0]
            segment, country = customers[customer]
            if customer in blank_segment:
                segment = "unknown"
        currency = CURRENCY[country]
        orders.append((order_no, customer, day, currency))
        if rng.random() < 0.015:
            continue  # abandoned: an order without lines
        n_lines = 1 + min(int(rng.expovariate(0.7)), 5)
        big = segment in ("smb", "enterprise")
        for _ in range(n_lines):
            line_no += 1
            sku = rng.choice(sku_list)
            price = round(skus[sku] / EUR_PER_UNIT.get(currency, 1.0) * rng.uniform(0.97, 1.03), 2)
            qty = rng.randint(1, 20 if big else 4)
            gross = round(qty * price, 2)
            refunded = 0.0
            if rng.random() < 0.09:
                parts = rng.choice([1, 1, 1, 2, 2, 3])
                share = rng.choice([1.0, rng.uniform(0.1, 0.9)])
                total = round(gross * share, 2)
                amounts = [round(total / parts, 2)] * (parts - 1)
                amounts.append(round(total - sum(amounts), 2))
                for amount in amounts:
                    refund_no += 1
                    when = day + datetime.timedelta(days=rng.randint(1, 40))
                    refunds.append((refund_no, line_no, when, amount))
                    refunded += amount
            lines.append((line_no, order_no, sku, qty, price))
            rate = rate_on(periods, currency, day)
            net = round((gross - refunded) * rate, 2)
            truth.append((f"L{line_no:06d}", f"{day:%Y-%m}", segment, cents(net + 0.0)))

    # Orphan lines: their order is missing from the export or their order id is blank.
    orphan_lines = []
    for k in range(55):
        line_no += 1
        order = "" if k < 15 else f"O-{rng.randint(190000, 199999)}"
        sku = rng.choice(sku_list)
        orphan_lines.append((f"L{line_no:06d}", order, sku, rng.randint(1, 4), cents(skus[sku])))
    # Orphan refunds: their line is unknown or blank.
    orphan_refunds = []
    for k in range(16):
        refund_no += 1
        target = "" if k < 5 else f"L{rng.randint(900000, 999999):06d}"
        when = start + datetime.timedelta(days=rng.randint(20, 360))
        orphan_refunds.append((f"R{refund_no:05d}", target, f"{when}", cents(rng.uniform(5, 80))))

    # --- the public tables, as the source systems export them ---
    def spell_customer(n):
        u = rng.random()
        if u < 0.70:
            return f"C{n:05d}"
        if u < 0.85:
            return f"c{n:05d}"
        if u < 0.95:
            return f"C{n}"
        return f" C{n:05d} "

    def spell_segment(segment):
        return segment if rng.random() < 0.8 else rng.choice(SEGMENT_SPELLINGS[segment])

    first = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in customers]
    customer_rows = []
    for n, (segment, country) in customers.items():
        name = first[n - 1]
        if segment != "consumer":
            name = f"{rng.choice(LAST_NAMES)} {rng.choice(COMPANY)}"
        seg = "" if n in blank_segment else spell_segment(segment)
        signup = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randint(0, 2150))
        customer_rows.append([f"C{n:05d}", name, seg, country, f"{signup}"])
    # Rows with no id at all (a half-finished sign-up form).
    for _ in range(4):
        customer_rows.insert(rng.randrange(len(customer_rows)),
                             ["", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                              spell_segment("consumer"), pick(rng, COUNTRIES), f"{YEAR}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"])
    customer_rows = with_duplicates(rng, customer_rows, 7)

    order_rows = []
    for order_no, customer, day, currency in orders:
        cid = "" if customer is None else spell_customer(customer)
        cur = currency if rng.random() < 0.97 else currency.lower()
        order_rows.append([f"O-{order_no}", cid, f"{day}", cur])
    order_rows = with_duplicates(rng, order_rows, 12)

    line_rows = []
    for line, order_no, sku, qty, price in lines:
        order = f"O-{order_no}" if rng.random() < 0.88 else f"{order_no}"
        line_rows.append([f"L{line:06d}", order, sku, str(qty), cents(price)])
    for row in orphan_lines:
        line_rows.insert(rng.randrange(len(line_rows)), list(row))
    line_rows = with_duplicates(rng, line_rows, 14)

    refund_rows = []
    for refund, line, when, amount in sorted(refunds, key=lambda r: (r[2], r[0])):
        target = f"L{line:06d}" if rng.random() < 0.9 else f"l{line:06d}"
        refund_rows.append([f"R{refund:05d}", target, f"{when}", cents(amount)])
    for row in orphan_refunds:
        refund_rows.insert(rng.randrange(len(refund_rows)), list(row))
    refund_rows = with_duplicates(rng, refund_rows, 8)

    fx_rows = []
    for currency in sorted(periods):
        for begin, end, rate in periods[currency]:
            fx_rows.append([currency, f"{begin}", "" if end is None else f"{end}", f"{rate:.4f}"])

    data = os.path.join(here, "data")
    write(os.path.join(data, "customers.csv"),
          ["customer_id", "name", "segment", "country", "signup_date"], customer_rows)
    write(os.path.join(data, "orders.csv"),
          ["order_id", "customer_id", "order_date", "currency"], order_rows)
    write(os.path.join(data, "order_lines.csv"),
          ["line_id", "order_id", "sku", "quantity", "unit_price"], line_rows)
    write(os.path.join(data, "refunds.csv"),
          ["refund_id", "line_id", "refund_date", "amount"], refund_rows)
    write(os.path.join(data, "fx_rates.csv"),
          ["currency", "valid_from", "valid_to", "eur_per_unit"], fx_rows)
    write(os.path.join(here, "hidden", "ledger.csv"),
          ["line_id", "month", "segment", "net_revenue_eur"], truth)


if __name__ == "__main__":
    main()
