# The methodology tracer's conclusions: loaded after methodology.py, in its namespace, and
# run once when a program ends (`finish`). Reads only the events the tracer kept.
#
# Precision comes first, because a finding accuses a candidate. Rows that are identical by
# nature (the same feature values twice in the data) must never make a finding, so every
# rule compares multiplicities, or rests on a call that made the copies:
# - preprocessing: a transformer counts as having seen an evaluation row only when it saw
#   that row as often as the model's training rows and the evaluation rows together hold it;
# - overlap: evaluation rows shared with the training rows count only when the model was
#   trained on the very rows a split set aside, or the shared rows came out of a call that
#   copies or synthesises rows (resample, DataFrame.sample with replacement, fit_resample,
#   a concat that repeats index labels);
# - multi_test: only held-out rows (not the model's own training rows), only the last set
#   so used (a validation set scored before a final test set is fine), never folds;
# - target: a column in one-to-one correspondence with the label on every training row.

from collections import Counter as _Counter

_LABEL_ENCODERS = ("LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer")
_KIND_ORDER = {"preprocessing": 0, "overlap": 1, "multi_test": 2, "target": 3}


class _Eval:
    __slots__ = ("model", "rows", "proj", "value", "name", "where", "seq", "role", "reps")

    def __init__(self, model, rows, proj, value, name, where, seq):
        self.model = model
        self.rows = rows
        self.proj = proj or {}
        self.value = value
        self.name = name
        self.where = where
        self.seq = seq
        self.role = None
        self.reps = None


def _sorted_key(fps):
    np = _np()
    array = np.sort(np.asarray(fps, dtype=np.uint64))
    return (len(array), hash(array.tobytes()))


def _lineage_map(epoch):
    cached = getattr(epoch, "_map", None)
    if cached is not None:
        return cached
    mapping = {}
    missing = object()
    for rows_in, rows_out in epoch.lineage:
        for out, inp in zip(rows_out.fps.tolist(), rows_in.fps.tolist()):
            seen = mapping.get(out, missing)
            if seen is missing:
                mapping[out] = inp
            elif seen != inp:
                mapping[out] = None  # two inputs give this output: ambiguous
    epoch._map = mapping
    return mapping


def _representations(rows, proj, transformers):
    """The same rows in every space they can be traced back to: {chain: [fingerprint or
    None]}, the chain being the transformers (newest first) whose outputs they are."""
    first = rows.fps.tolist()
    reps = {(): first}
    frontier = [((), first, True)]
    for _ in range(3):
        grown = []
        for chain, fps, top in frontier:
            for epoch in transformers:
                if epoch in chain:
                    continue
                mapping = _lineage_map(epoch)
                names = epoch.lineage[0][0].names
                tries = [fps]
                if top and names in proj:
                    tries.append(proj[names].fps.tolist())
                for values in tries:
                    mapped = [mapping.get(x) if x is not None else None for x in values]
                    found = sum(1 for x in mapped if x is not None)
                    if found and found >= 0.5 * len(values):
                        key = chain + (epoch,)
                        if key not in reps:
                            reps[key] = mapped
                            grown.append((key, mapped, False))
                        break
        frontier = grown[:20]
        if not frontier:
            break
    return reps


def _counter(values):
    return _Counter(x for x in values if x is not None)


def _evaluations(st):
    predicts = [e for e in st.events if e.kind == "predict"]
    splits = [e for e in st.events if e.kind == "split"]
    found = []
    for event in st.events:
        data = event.data
        if event.kind == "score":
            found.append(_Eval(data["epoch"], data["rows"], data["proj"], data["value"], data["name"],
                               event.where, event.seq))
        elif event.kind == "metric":
            source = None
            if data["y_pred"] is not None:
                for p in reversed(predicts):
                    if p.seq < event.seq and data["y_pred"] in p.data["outputs"]:
                        source = p
                        break
            if source is None and data["y_true"] is not None:
                source = _predict_on_split_test(data["y_true"], event.seq, splits, predicts)
            if source is not None:
                found.append(_Eval(source.data["epoch"], source.data["rows"], source.data["proj"],
                                   data["value"], data["name"], event.where, event.seq))
    return found


def _predict_on_split_test(y_true, seq, splits, predicts):
    """The latest prediction on the rows a split set aside with the labels `y_true`."""
    for split in reversed(splits):
        parts = split.data["parts"]
        if not any(part["test_vector"] == y_true for part in parts):
            continue
        tables = [part["test"] for part in parts if part["test"] is not None and part["test_vector"] != y_true]
        keys = {_sorted_key(t.fps) for t in tables}
        for p in reversed(predicts):
            if p.seq < seq and _sorted_key(p.data["rows"].fps) in keys:
                return p
    return None


def _split_tests(splits):
    """{sorted key of a test part: (split event, part)} for every table a split set aside."""
    tests = {}
    for split in splits:
        for part in split.data["parts"]:
            if part["test"] is not None and part["train"] is not None:
                tests[_sorted_key(part["test"].fps)] = (split, part)
    return tests


def _model_reps(model, transformers, cache):
    key = id(model)
    if key not in cache:
        cache[key] = _representations(model.rows, getattr(model, "proj", {}), transformers) if model.rows else {}
    return cache[key]


def analyse(st):
    np = _np()
    if np is None:
        return []
    transformers = [e for e in st.epochs if e.lineage and e.cls not in _LABEL_ENCODERS]
    transformers.sort(key=lambda e: -e.seq)
    splits = [e for e in st.events if e.kind == "split"]
    tests = _split_tests(splits)
    model_cache = {}
    held = []
    for ev in _evaluations(st):
        if ev.model is None or ev.model.rows is None:
            continue
        ev.reps = _representations(ev.rows, ev.proj, transformers)
        for chain, values in ev.reps.items():
            if None not in values:
                match = tests.get(_sorted_key(values))
                if match is not None:
                    ev.role = (chain, match)
                    break
        if ev.role is None:
            trained = set(ev.model.rows.fps.tolist())
            if all(x in trained for x in ev.reps[()]):
                continue  # the model's own training rows: a training score, not an evaluation
        held.append(ev)
    findings = []
    findings += _preprocessing(held, transformers, model_cache)
    findings += _overlap(held, st, transformers, model_cache)
    findings += _multi_test(held, st)
    findings += _target(st)
    findings.sort(key=lambda f: (_KIND_ORDER[f["kind"]], f["location"]["file"], f["location"].get("cell", 0),
                                 f["location"]["line"]))
    return findings


def _finding(kind, severity, estimator, where, evidence, rows):
    return {"kind": kind, "severity": severity, "estimator": estimator, "location": dict(where),
            "evidence": evidence, "rows": rows}


def _preprocessing(held, transformers, model_cache):
    best = {}
    for ev in held:
        model_reps = _model_reps(ev.model, transformers, model_cache)
        for chain, e_raw in ev.reps.items():
            if not chain or chain not in model_reps:
                continue
            epoch = chain[-1]
            if epoch.rows is None or epoch.seq > ev.model.seq:
                continue
            fitted = getattr(epoch, "_fit_counts", None)
            if fitted is None:
                fitted = epoch._fit_counts = _counter(epoch.rows.fps.tolist())
            trained = _counter(model_reps[chain])
            scored = _counter(e_raw)
            leaked = sum(1 for x in e_raw if x is not None and fitted[x] > 0 and fitted[x] >= trained[x] + scored[x])
            if leaked and leaked > best.get(id(epoch), (0,))[0]:
                best[id(epoch)] = (leaked, epoch, ev)
    findings = []
    for leaked, epoch, ev in best.values():
        n = ev.rows.n
        if leaked >= 0.5 * n:
            severity = "finding"
        elif leaked >= 3 and leaked >= 0.05 * n:
            severity = "possible"
        else:
            continue
        estimator = f"{epoch.cls}.{epoch.method}"
        evidence = (f"{estimator} at {shown(epoch.where)} saw {epoch.rows.n:,} rows; {leaked:,} of them were "
                    f"later scored as held-out rows of {ev.model.cls} at {shown(ev.where)}.")
        findings.append(_finding("preprocessing", severity, estimator, epoch.where, evidence,
                                 {"fitted": epoch.rows.n, "evaluated": n, "leaked": leaked}))
    return findings


def _copy_sets(st):
    """[(fingerprints the program copied or synthesised, how, where, synthetic)]."""
    sets = []
    for event in st.events:
        if event.kind == "resample":
            rows_in = _Counter(event.data["rows_in"].fps.tolist())
            rows_out = _Counter(event.data["rows_out"].fps.tolist())
            if event.data["synthetic"]:
                made = {x for x in rows_out if x not in rows_in}
                if made:
                    sets.append((made, event.data["name"], event.where, True))
                copied = {x for x, c in rows_out.items() if x in rows_in and c > rows_in[x]}
                if copied:
                    sets.append((copied, event.data["name"], event.where, False))
            else:
                sets.append((set(rows_out), event.data["name"], event.where, False))
        elif event.kind == "split":
            for part in event.data["parts"]:
                if part["copies"]:
                    sets.append((part["copies"], "repeating rows (same content, same index label) before "
                                 "the split", event.where, False))
    return sets


def _overlap(held, st, transformers, model_cache):
    copies = _copy_sets(st)
    best = {}
    for ev in held:
        model = ev.model
        model_reps = _model_reps(model, transformers, model_cache)
        n = ev.rows.n
        candidates = []
        if ev.role is not None:
            chain, (split, part) = ev.role
            trained = model_reps.get(chain)
            if trained is not None:
                counts = _counter(trained)
                train_part = _Counter(part["train"].fps.tolist())
                test_part = _Counter(part["test"].fps.tolist())
                shared = sum(1 for x in ev.reps[chain] if test_part[x] and counts[x] >= train_part[x] + test_part[x])
                if shared:
                    evidence = (f"{model.cls}.{model.method} at {shown(model.where)} was trained on {model.rows.n:,} "
                                f"rows, among them {shared:,} of the {n:,} rows train_test_split at "
                                f"{shown(split.where)} set aside for testing, scored at {shown(ev.where)}.")
                    candidates.append((shared, evidence))
        for chain, values in ev.reps.items():
            trained = model_reps.get(chain)
            if trained is None:
                continue
            trained_set = set(x for x in trained if x is not None)
            for made, how, where, synthetic in copies:
                if synthetic:
                    shared = sum(1 for x in values if x in made)
                    if shared and any(x in made for x in trained_set):
                        evidence = (f"{shared:,} of the {n:,} rows scored at {shown(ev.where)} were synthesised by "
                                    f"{how} at {shown(where)} before the split, and {model.cls}.{model.method} at "
                                    f"{shown(model.where)} was trained on others it made from the same rows.")
                        candidates.append((shared, evidence))
                else:
                    shared = sum(1 for x in values if x in made and x in trained_set)
                    if shared:
                        evidence = (f"{model.cls}.{model.method} at {shown(model.where)} was trained on "
                                    f"{model.rows.n:,} rows; {shared:,} of the {n:,} rows scored at {shown(ev.where)} "
                                    f"are identical to training rows, copies made by {how} at {shown(where)}.")
                        candidates.append((shared, evidence))
        for shared, evidence in candidates:
            if shared > best.get(id(model), (0,))[0]:
                best[id(model)] = (shared, evidence, ev)
    findings = []
    for shared, evidence, ev in best.values():
        n = ev.rows.n
        if shared >= 0.05 * n and shared >= 3:
            severity = "finding"
        elif shared >= 1:
            severity = "possible"
        else:
            continue
        model = ev.model
        findings.append(_finding("overlap", severity, f"{model.cls}.{model.method}", model.where, evidence,
                                 {"trained": model.rows.n, "evaluated": n, "shared": shared}))
    return findings


def _lower_is_better(name):
    return name.endswith(("_error", "_loss", "log_loss"))


def _multi_test(held, st):
    groups = {}
    for ev in held:
        if ev.model.cls.startswith("Dummy"):
            continue
        key = _sorted_key(ev.reps[()])
        groups.setdefault(key, []).append(ev)
    multi = {k: g for k, g in groups.items() if len({e.model.setting for e in g}) >= 2}
    if not multi or len(multi) > 2:
        return []  # none, or the same models on several disjoint sets: folds, not a test set
    findings = []
    for key, group in multi.items():
        last = max(e.seq for e in group)
        if any(e.seq > last for k, g in groups.items() if k != key for e in g):
            continue  # scored before another held-out set: a validation set
        settings = []
        for e in group:
            if e.model.setting not in settings:
                settings.append(e.model.setting)
        ranked = [e for e in group if e.value is not None]
        best = None
        if ranked:
            name = ranked[-1].name
            same = [e for e in ranked if e.name == name]
            values = {}
            for e in same:
                values[e.model.setting] = e
            if len(values) >= 2:
                pick = min if _lower_is_better(name) else max
                best = pick(values.values(), key=lambda e: e.value)
        chosen_again = None
        if best is not None:
            for event in st.epochs:
                if event.seq > last and event.setting == best.model.setting:
                    chosen_again = event
                    break
            if chosen_again is None:
                for event in st.events:
                    if event.kind == "predict" and event.seq > last and event.data["epoch"] is best.model \
                            and _sorted_key(event.data["rows"].fps) != key:
                        chosen_again = event
                        break
        n = group[0].rows.n
        classes = _Counter(s.split("(")[0] for s in settings)
        described = ", ".join(f"{c}" if k == 1 else f"{c} ({k} settings)" for c, k in classes.items())
        anchor = best if best is not None else group[-1]
        evidence = f"The same {n:,} held-out rows were scored for {len(settings)} model settings ({described})"
        where_calls = sorted({shown(e.where) for e in group})
        evidence += f" at {', '.join(where_calls[:3])}{' and more' if len(where_calls) > 3 else ''}"
        if best is not None:
            evidence += f"; the best {best.name} was {best.value:.4g}, from {best.model.cls}"
            if chosen_again is not None:
                evidence += f", which was used again at {shown(chosen_again.where)}"
        evidence += "."
        severity = "finding" if len(settings) >= 3 or chosen_again is not None else "possible"
        findings.append(_finding("multi_test", severity, anchor.name, anchor.where, evidence,
                                 {"evaluated": n, "settings": len(settings)}))
    return findings


def _target(st):
    """One finding per fit: the columns that reproduce the label, the first one named."""
    findings = []
    seen = set()
    for epoch in st.epochs:
        if not epoch.is_model or not epoch.target or epoch.rows is None:
            continue
        key = (epoch.where["file"], epoch.where.get("cell"), epoch.where["line"])
        if key in seen:
            continue
        seen.add(key)
        ranked = sorted(epoch.target, key=lambda t: 0 if t[1].startswith(("is the label", "equals")) else 1)
        column, how = ranked[0]
        n = epoch.rows.n
        estimator = f"{epoch.cls}.{epoch.method}"
        more = len(epoch.target) - 1
        also = f" ({more} more column{'s' if more > 1 else ''} likewise)" if more else ""
        evidence = f"Column '{column}' of the {n:,} rows passed to {estimator} at {shown(epoch.where)} {how}{also}."
        severity = "finding" if n >= 50 or how == "is the label column itself" else "possible"
        findings.append(_finding("target", severity, estimator, epoch.where, evidence,
                                 {"trained": n, "matching": n}))
    return findings
