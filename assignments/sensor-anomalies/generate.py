#!/usr/bin/env python3
"""Deterministic generator for the `sensor-anomalies` assignment.

Writes data/sensors.csv, data/labels_sample.csv and hidden/window_labels.csv. Python 3
standard library only; running it again rewrites the three files byte-identically.

Five machines report temperature, vibration and pressure every 10 minutes for six days
(Monday to Saturday). Readings are grouped into 2-hour windows of 12 readings. Normal
behaviour follows each machine's shift schedule (running / idle / planned maintenance
stop), with thermal lag, so large level changes are often perfectly normal. Anomalies are
injected into 36 windows, five kinds:

  spike  one or two vibration readings 3-6x too high
  stuck  temperature or pressure repeats the same value for the rest of the window
  drift  temperature ramps up 3-6 degC over the window while load is unchanged
  leak   pressure drops 2.5-4 units part-way through the window
  wear   vibration is 1.5-1.9x its usual level for the whole window

A handful of windows are labelled in the public sample (6 anomalies, 24 normal windows,
including planned stops); the rest are held out in hidden/window_labels.csv.
"""

import csv
import math
import os
import random

SEED = 7031
MACHINES = ["M01", "M02", "M03", "M04", "M05"]
STEPS_PER_DAY = 144           # one reading every 10 minutes
DAYS = 6                      # Monday 2024-03-04 .. Saturday 2024-03-09
WINDOW = 12                   # readings per window (2 hours)
START_DAY = 4                 # 2024-03-04
KINDS = ["spike"] * 8 + ["stuck"] * 7 + ["drift"] * 7 + ["leak"] * 7 + ["wear"] * 7
SAMPLE_KINDS = ["spike", "stuck", "drift", "leak", "wear", "spike"]
SAMPLE_NORMALS = 24
NOTES = {
    "spike": "vibration spike, loose guard found",
    "stuck": "sensor frozen, replaced",
    "drift": "overheating, coolant low",
    "leak": "pressure loss, seal replaced",
    "wear": "bearing wear, scheduled repair",
}

# Per machine: base temperature, vibration scale, base pressure, schedule name.
PROFILE = {
    "M01": (41.0, 1.00, 101.0, "two_shift"),
    "M02": (38.5, 1.25, 96.0, "two_shift"),
    "M03": (44.0, 0.80, 104.5, "two_shift"),
    "M04": (40.0, 1.10, 99.0, "continuous"),
    "M05": (36.0, 0.90, 93.5, "one_shift"),
}
# Planned maintenance stops: machine -> (day, first step, last step exclusive).
STOPS = {"M02": (1, 60, 84), "M05": (2, 48, 60), "M03": (4, 120, 132)}


def target_load(machine, day, step):
    hour = step / 6.0
    schedule = PROFILE[machine][3]
    stop = STOPS.get(machine)
    if stop and stop[0] == day and stop[1] <= step < stop[2]:
        return 0.0
    weekend = day == 5
    if schedule == "continuous":
        return 0.85 if 6 <= hour < 22 else 0.6
    if weekend:
        return 0.15
    if schedule == "two_shift":
        return 0.9 if 6 <= hour < 22 else 0.15
    return 0.85 if 7 <= hour < 15 else 0.15  # one_shift


def normal_series(rng, machine):
    base_t, vib_scale, base_p, _ = PROFILE[machine]
    n = DAYS * STEPS_PER_DAY
    temp, vib, pres, loads = [], [], [], []
    t_state = base_t + 22.0 * target_load(machine, 0, 0)
    ar = 0.0
    for i in range(n):
        day, step = divmod(i, STEPS_PER_DAY)
        load = max(0.0, target_load(machine, day, step) + rng.gauss(0.0, 0.03))
        if target_load(machine, day, step) == 0.0:
            load = 0.0
        t_state += 0.25 * (base_t + 22.0 * load - t_state)  # thermal lag
        ar = 0.7 * ar + rng.gauss(0.0, 0.35)
        t = t_state + ar
        v = vib_scale * (0.03 + 0.6 * load) * math.exp(rng.gauss(0.0, 0.10))
        p = base_p + 0.3 * (t_state - base_t) + 8.0 * load + rng.gauss(0.0, 0.3)
        temp.append(t)
        vib.append(v)
        pres.append(p)
        loads.append(load)
    return temp, vib, pres, loads


def inject(rng, kind, temp, vib, pres, lo):
    """Inject one anomaly into readings lo .. lo+WINDOW-1 (in place)."""
    idx = list(range(lo, lo + WINDOW))
    if kind == "spike":
        for i in rng.sample(idx, rng.choice([1, 2])):
            vib[i] *= rng.uniform(3.0, 6.0)
    elif kind == "stuck":
        series = temp if rng.random() < 0.5 else pres
        s = lo + rng.randint(1, 5)
        frozen = round(series[s - 1], 2)
        for i in range(s, lo + WINDOW):
            series[i] = frozen
    elif kind == "drift":
        amp = rng.uniform(3.0, 6.0)
        for k, i in enumerate(idx):
            temp[i] += amp * k / (WINDOW - 1)
    elif kind == "leak":
        drop = rng.uniform(2.5, 4.0)
        s = lo + rng.randint(2, 7)
        for i in range(s, lo + WINDOW):
            pres[i] -= drop
    elif kind == "wear":
        f = rng.uniform(1.5, 1.9)
        for i in idx:
            vib[i] *= f
    else:
        raise ValueError(kind)


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(SEED)
    n = DAYS * STEPS_PER_DAY
    per_machine = n // WINDOW
    series = {m: normal_series(rng, m) for m in MACHINES}

    # Windows: id -> (machine, first reading index). Ids run machine by machine in time order.
    windows = []
    for m in MACHINES:
        for w in range(per_machine):
            windows.append((f"W{len(windows) + 1:03d}", m, w * WINDOW))

    def in_stop(machine, lo):
        stop = STOPS.get(machine)
        if not stop:
            return False
        a = stop[0] * STEPS_PER_DAY + stop[1]
        b = stop[0] * STEPS_PER_DAY + stop[2]
        return lo < b and a < lo + WINDOW

    candidates = [w for w in windows if not in_stop(w[1], w[2])]
    chosen = rng.sample(candidates, len(KINDS))
    kinds = KINDS[:]
    rng.shuffle(kinds)
    anomaly = {}
    for (wid, m, lo), kind in zip(chosen, kinds):
        temp, vib, pres, _ = series[m]
        inject(rng, kind, temp, vib, pres, lo)
        anomaly[wid] = kind

    # Public sample: one anomaly per listed kind, plus normal windows that include every
    # planned stop (so "machine switched off" is visibly labelled normal).
    sample = {}
    by_kind = {}
    for wid in sorted(anomaly):
        by_kind.setdefault(anomaly[wid], []).append(wid)
    for kind in SAMPLE_KINDS:
        pool = [w for w in by_kind[kind] if w not in sample]
        sample[rng.choice(pool)] = NOTES[kind]
    stop_windows = [w[0] for w in windows if in_stop(w[1], w[2])]
    for wid in stop_windows:
        sample[wid] = "planned maintenance stop"
    normals = [w[0] for w in windows if w[0] not in anomaly and w[0] not in sample]
    for wid in rng.sample(normals, SAMPLE_NORMALS - len(stop_windows)):
        sample[wid] = "inspected, no fault"

    rows = []
    for wid, m, lo in windows:
        temp, vib, pres, _ = series[m]
        for i in range(lo, lo + WINDOW):
            day, step = divmod(i, STEPS_PER_DAY)
            hh, mm = divmod(step * 10, 60)
            ts = f"2024-03-{START_DAY + day:02d} {hh:02d}:{mm:02d}"
            rows.append([m, ts, f"{temp[i]:.2f}", f"{vib[i]:.3f}", f"{pres[i]:.2f}", wid])
    rows.sort(key=lambda r: (r[0], r[1]))
    write(os.path.join(here, "data", "sensors.csv"),
          ["machine_id", "timestamp", "temperature", "vibration", "pressure", "window_id"], rows)
    write(os.path.join(here, "data", "labels_sample.csv"), ["window_id", "is_anomaly", "note"],
          [[wid, "1" if wid in anomaly else "0", sample[wid]] for wid in sorted(sample)])
    write(os.path.join(here, "hidden", "window_labels.csv"), ["window_id", "is_anomaly", "anomaly_type"],
          [[wid, "1" if wid in anomaly else "0", anomaly.get(wid, "")]
           for wid, _, _ in windows if wid not in sample])


if __name__ == "__main__":
    main()
