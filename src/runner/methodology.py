"""takehome's methodology tracer inside the Python sandbox.

Loaded by the harness beside the support module (never under an importable name, never on
sys.path) and installed by `_takehome.prepare`. It wraps scikit-learn's estimator methods
(fit, fit_transform, transform, predict, predict_proba, decision_function, score, and
fit_resample of samplers built on scikit-learn), its splitter, its metrics and resample,
and pandas' reads, and notes which rows reach each call made from the candidate's code,
by a fingerprint of each row's content, so copies, re-indexing and `.values` are followed.
At the end of a program it writes what it concludes to REPORT as JSON lines.

It must not change what the program does: every wrapper calls the original with the same
arguments and returns its result untouched; it reads arguments only when they are arrays,
frames, sparse matrices or lists (never iterators), touches no random state, warns nothing,
and swallows its own errors. Calls made by library code (a Pipeline fitting its steps,
GridSearchCV its candidates) are not recorded: only calls whose caller is the candidate's.
The analysis is in methodology_analysis.py (`_analysis_code()`, set by the loader: the
snapshot's compiled code or a fresh compile, only when a program ends with events), which
reads only the events kept here.
"""

import functools
import json
import os
import sys
import weakref

REPORT = "/tmp/.takehome/methodology.jsonl"
# Events kept per program; past it calls still run, unrecorded (said in the summary).
MAX_EVENTS = 5000
# Cells hashed per array; a wider array is fingerprinted on a regular sample of its columns.
MAX_CELLS = 40_000_000
METHODS = ("fit", "fit_transform", "transform", "predict", "predict_proba",
           "decision_function", "score", "fit_predict", "fit_resample")
# Packages whose estimator classes are wrapped: scikit-learn and the libraries whose models
# are scikit-learn estimators (imbalanced-learn samplers, the boosting libraries).
PACKAGES = ("sklearn", "imblearn", "xgboost", "lightgbm", "catboost")
READS = ("read_csv", "read_table", "read_excel", "read_parquet", "read_json", "read_feather")
# Functions of sklearn.model_selection that fit and score by themselves: calls inside them
# are library calls.
CV_FUNCTIONS = ("cross_val_score", "cross_validate", "cross_val_predict", "learning_curve",
                "validation_curve", "permutation_test_score")


class State:
    def __init__(self):
        self.reset()

    def reset(self):
        self.events = []
        self.epochs = []  # every fit, in order
        self.estimators = {}  # id(estimator) -> (weakref, [fit epochs])
        self.depth = 0
        self.dropped = 0
        self.sampled = False
        self.calls = 0
        self.seq = 0


state = State()
active = False
candidate_prefixes = ["/work/"]
notebook = {"path": None, "cells": {}}


# ----------------------------------------------------------------------------------------
# Where a call comes from

def _candidate(filename):
    return filename.startswith("<ipython-input-") or any(
        filename.startswith(p) for p in candidate_prefixes)


def _location(frame):
    """{file, line[, cell]} of a candidate frame: the path relative to the project's top, or
    the notebook's path with the line inside its cell."""
    name = frame.f_code.co_filename
    if name.startswith("<ipython-input-"):
        try:
            count = int(name.split("-")[2])
        except (IndexError, ValueError):
            count = None
        where = {"file": notebook["path"] or "notebook", "line": frame.f_lineno}
        cell = notebook["cells"].get(count)
        if cell is not None:
            where["cell"] = cell
        return where
    for prefix in candidate_prefixes:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return {"file": name, "line": frame.f_lineno}


def shown(where):
    if where is None:
        return "?"
    text = f"{os.path.basename(where['file'])}:{where['line']}"
    if "cell" in where:
        text = f"{os.path.basename(where['file'])} cell {where['cell']} line {where['line']}"
    return text


# ----------------------------------------------------------------------------------------
# Fingerprints: one uint64 per row, from the row's content

def _np():
    return sys.modules.get("numpy")


def _pd():
    return sys.modules.get("pandas")


def _mix(np, h):
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def column_hash(col):
    """One uint64 per value: numbers by their float64 value (so 3, 3.0 and True hash the
    same as numbers), anything else by pandas' own hash of the value."""
    np = _np()
    pd = _pd()
    dtype = getattr(col, "dtype", None)
    kind = getattr(dtype, "kind", "O")
    if kind in "biuf":
        if pd is not None and isinstance(col, pd.Series):
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = np.asarray(col, dtype=np.float64)
        return np.ascontiguousarray(values).view(np.uint64)
    if pd is None:
        return None
    values = np.asarray(col, dtype=object)
    return pd.util.hash_array(values, categorize=False)


class Rows:
    """What was seen of a table: a fingerprint per row, the column names when it had them."""

    __slots__ = ("fps", "names", "n", "bits")

    def __init__(self, fps, names):
        self.fps = fps
        self.names = names
        self.n = len(fps)
        self.bits = None


def _table_bits(X):
    """(names or None, bits, numeric): the table's values as a C-contiguous (rows, columns)
    uint64 array (see column_hash) and which columns hold numbers; None for anything else.
    A table over MAX_CELLS keeps a regular sample of its columns (noted in the summary)."""
    np = _np()
    pd = _pd()
    if pd is not None and isinstance(X, pd.DataFrame):
        names = tuple(str(c) for c in X.columns)
        n, d = X.shape
        keep = _kept_columns(n, d)
        kinds = [getattr(t, "kind", "O") for t in X.dtypes]
        numeric = np.array([kinds[j] in "biuf" for j in keep], dtype=bool)
        if numeric.all() and all(isinstance(t, np.dtype) for t in X.dtypes):
            part = X if len(keep) == d else X.iloc[:, keep]
            bits = np.ascontiguousarray(part.to_numpy(dtype=np.float64)).view(np.uint64)
        else:
            # Plain numeric columns in one conversion; the others one by one.
            bits = np.empty((n, len(keep)), dtype=np.uint64)
            dtypes = list(X.dtypes)
            plain = [at for at, j in enumerate(keep) if numeric[at] and isinstance(dtypes[j], np.dtype)]
            if plain:
                block = X.iloc[:, [keep[at] for at in plain]].to_numpy(dtype=np.float64)
                bits[:, plain] = np.ascontiguousarray(block).view(np.uint64)
            done = set(plain)
            for at, j in enumerate(keep):
                if at not in done:
                    bits[:, at] = column_hash(X.iloc[:, j])
        return names, bits, numeric
    if pd is not None and isinstance(X, pd.Series):
        return (str(X.name),), column_hash(X)[:, None], np.array([X.dtype.kind in "biuf"])
    if isinstance(X, np.ndarray) and X.ndim in (1, 2):
        table = X[:, None] if X.ndim == 1 else X
        n, d = table.shape
        keep = _kept_columns(n, d)
        if len(keep) < d:
            table = table[:, keep]
        if table.dtype.kind in "biuf":
            bits = np.ascontiguousarray(table, dtype=np.float64).view(np.uint64)
        else:
            bits = np.empty((n, len(keep)), dtype=np.uint64)
            for at in range(len(keep)):
                bits[:, at] = column_hash(table[:, at])
        return None, bits, np.full(len(keep), table.dtype.kind in "biuf")
    if isinstance(X, list) and X and not isinstance(X[0], (list, tuple)):
        return None, column_hash(np.asarray(X, dtype=object))[:, None], np.array([False])
    return None


def _kept_columns(n, d):
    if n * d <= MAX_CELLS:
        return list(range(d))
    state.sampled = True
    step = -(-(n * d) // MAX_CELLS)
    return list(range(0, d, step))


def _salts(np, columns):
    """An odd 64-bit multiplier per column position."""
    return _mix(np, (np.asarray(columns, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)


def _sparse_rows(X):
    np = _np()
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None or not sparse.issparse(X):
        return None
    csr = X.tocsr()
    csr.sort_indices()
    n = csr.shape[0]
    data = _mix(np, column_hash(np.asarray(csr.data)))
    cols = _mix(np, csr.indices.astype(np.uint64) + np.uint64(1))
    cells = _mix(np, data ^ cols)
    counts = np.diff(csr.indptr)
    rows = np.repeat(np.arange(n), counts)
    out = np.zeros(n, dtype=np.uint64)
    np.add.at(out, rows, cells)
    return Rows(_mix(np, out), None)


# Fingerprints of the last arrays seen, by identity: a transform's output is usually the
# next call's input. An entry holds a weak reference and a sample of the array's bytes, so
# a different array at the same address, or one changed in place, is fingerprinted again.
_recent = {}


def _sample_bytes(np, X):
    step = max(1, X.shape[0] // 64)
    return (X.shape, X.dtype.str, hash(np.ascontiguousarray(X[::step]).tobytes()))


def rows_of(X, names=None):
    """Row fingerprints of X (its columns `names` only, when given), or None."""
    np = _np()
    if np is None:
        return None
    if names is None and isinstance(X, np.ndarray) and X.ndim == 2:
        seen = _recent.get(id(X))
        if seen is not None and seen[0]() is X and seen[1] == _sample_bytes(np, X):
            return seen[2]
        rows = _rows_of(np, X, None)
        if rows is not None:
            if len(_recent) >= 16:
                _recent.pop(next(iter(_recent)))
            _recent[id(X)] = (weakref.ref(X), _sample_bytes(np, X), rows)
        return rows
    return _rows_of(np, X, names)


def _rows_of(np, X, names, keep_bits=False):
    with np.errstate(all="ignore"):
        sparse = _sparse_rows(X)
        if sparse is not None:
            return sparse
        if names is not None:
            pd = _pd()
            if pd is None or not isinstance(X, pd.DataFrame):
                return None
            try:
                X = X.loc[:, list(names)]
            except Exception:
                return None
        table = _table_bits(X)
        if table is None or table[1].shape[1] == 0:
            return None
        own_names, bits, numeric = table
        # One pass: each row's values times a multiplier per column, summed (mod 2**64).
        rows = Rows(_mix(np, np.dot(bits, _salts(np, range(bits.shape[1])))), own_names)
        if keep_bits:
            rows.bits = (bits, numeric)
        return rows


def vector_hash(v):
    """One hash for a whole vector or table (labels, predictions, scores)."""
    np = _np()
    pd = _pd()
    try:
        with np.errstate(all="ignore"):
            if pd is not None and isinstance(v, (pd.Series, pd.DataFrame)):
                v = v.to_numpy()
            if isinstance(v, (list, tuple)):
                v = np.asarray(v)
            if not isinstance(v, np.ndarray):
                return None
            if v.ndim == 1:
                h = column_hash(v)
            elif v.ndim == 2 and v.shape[1] == 1:
                h = column_hash(v[:, 0])
            else:
                rows = rows_of(v)
                h = rows.fps if rows is not None else None
            if h is None:
                return None
            return (len(h), int(_mix(np, np.add.reduce(_mix(np, h ^ np.arange(len(h), dtype=np.uint64)),
                                                        dtype=np.uint64))))
    except Exception:
        return None


# ----------------------------------------------------------------------------------------
# Events

class Epoch:
    """One fit of one estimator: what it was fitted on, and the transforms made with it."""

    def __init__(self, seq, cls, method, setting, rows, y, where, is_model):
        self.seq = seq
        self.cls = cls
        self.method = method
        self.setting = setting
        self.rows = rows
        self.y = y
        self.where = where
        self.is_model = is_model
        self.lineage = []  # (input Rows, output Rows)
        self.lineage_keys = set()
        self.proj = {}
        self.target = []  # (column, how) found at fit time


class Event:
    __slots__ = ("kind", "seq", "where", "data")

    def __init__(self, kind, where, **data):
        state.seq += 1
        self.kind = kind
        self.seq = state.seq
        self.where = where
        self.data = data


def _keep(event):
    if len(state.events) >= MAX_EVENTS:
        state.dropped += 1
        return
    state.events.append(event)


def _estimator_epochs(est, create=False):
    key = id(est)
    entry = state.estimators.get(key)
    if entry is not None and entry[0]() is est:
        return entry[1]
    if not create:
        return None
    try:
        ref = weakref.ref(est)
    except TypeError:
        return None
    epochs = []
    state.estimators[key] = (ref, epochs)
    return epochs


def current_epoch(est):
    epochs = _estimator_epochs(est)
    return epochs[-1] if epochs else None


def _setting(est, depth=0):
    """The estimator's class and parameters, as text: what makes two models "settings".
    Nested estimators by their own settings (scikit-learn's repr is slow to print)."""
    try:
        params = est.get_params(deep=False)
        return type(est).__name__ + "(" + ", ".join(
            f"{k}={_value_key(params[k], depth)}" for k in sorted(params) if k not in ("verbose", "n_jobs")) + ")"
    except Exception:
        return type(est).__name__ + "(?)"


def _value_key(value, depth):
    if depth < 4 and hasattr(value, "get_params") and not isinstance(value, type):
        return _setting(value, depth + 1)
    if depth < 4 and isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_key(v, depth + 1) for v in value[:50]) + "]"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _arg(args, kwargs, position, *names):
    if len(args) > position:
        return args[position]
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return None


def _projections(X, wanted):
    """Fingerprints of X's columns `names` for every name set in `wanted` X has."""
    pd = _pd()
    out = {}
    if pd is None or not isinstance(X, pd.DataFrame):
        return out
    have = set(str(c) for c in X.columns)
    for names in wanted:
        if len(out) >= 20:
            break
        if names and set(names) <= have and len(names) < len(have):
            rows = rows_of(X, names)
            if rows is not None:
                out[names] = rows
    return out


def transformer_names():
    """The column-name sets transformers were fed, newest first."""
    seen = []
    for _, epochs in list(state.estimators.values()):
        for epoch in epochs:
            for rows, _ in epoch.lineage:
                if rows.names and rows.names not in seen:
                    seen.append(rows.names)
    return seen[:20]


def _before(est, method, args, kwargs, where):
    X = _arg(args, kwargs, 0, "X", "raw_documents")
    cls = type(est).__name__
    if method in ("fit", "fit_transform", "fit_predict", "fit_resample"):
        y = _arg(args, kwargs, 1, "y")
        is_model = hasattr(type(est), "predict") and method != "fit_resample"
        np = _np()
        rows = _rows_of(np, X, None, keep_bits=True) if np is not None and is_model and y is not None else rows_of(X)
        epoch = Epoch(state.seq + 1, cls, method, _setting(est), rows, vector_hash(y) if y is not None else None,
                      where, is_model)
        state.seq += 1
        epoch.proj = _projections(X, transformer_names()) if is_model else {}
        if is_model and y is not None and rows is not None:
            epoch.target = _target_check(X, y, rows)
            rows.bits = None  # not kept: the values themselves
        if len(state.epochs) < MAX_EVENTS:
            state.epochs.append(epoch)
        epochs = _estimator_epochs(est, create=True)
        if epochs is not None:
            epochs.append(epoch)
            del epochs[:-3]
        return (method, epoch, rows, X)
    if method in ("transform", "predict", "predict_proba", "decision_function", "score"):
        rows = rows_of(X)
        proj = _projections(X, transformer_names()) if method != "transform" else {}
        y = _arg(args, kwargs, 1, "y") if method == "score" else None
        return (method, current_epoch(est), rows, proj, vector_hash(y) if y is not None else None)
    return None


def _after(before, est, result, where):
    if before is None:
        return
    method = before[0]
    if method in ("fit", "fit_predict"):
        return
    if method in ("fit_transform", "transform"):
        epoch, rows_in = before[1], before[2]
        if epoch is None or rows_in is None:
            return
        out = rows_of(result)
        if out is not None and out.n == rows_in.n and len(epoch.lineage) < 50:
            key = (out.n, hash(rows_in.fps.tobytes()), hash(out.fps.tobytes()))
            if key not in epoch.lineage_keys:  # the same rows transformed again
                epoch.lineage_keys.add(key)
                epoch.lineage.append((rows_in, out))
        return
    if method == "fit_resample":
        epoch, rows_in = before[1], before[2]
        if rows_in is None or not isinstance(result, tuple) or not result:
            return
        out = rows_of(result[0])
        if out is not None:
            _keep(Event("resample", epoch.where, name=f"{epoch.cls}.fit_resample", rows_in=rows_in,
                        rows_out=out, synthetic=True))
        return
    _, epoch, rows, proj, y = before
    if epoch is None or rows is None:
        return
    if method == "score":
        value = _number(result)
        _keep(Event("score", where, epoch=epoch, rows=rows, proj=proj, y=y, value=value,
                    name=f"{epoch.cls}.score"))
        return
    outputs = set()
    whole = vector_hash(result)
    if whole is not None:
        outputs.add(whole)
    np = _np()
    if isinstance(result, np.ndarray) and result.ndim == 2 and result.shape[1] <= 20:
        for j in range(result.shape[1]):
            h = vector_hash(result[:, j])
            if h is not None:
                outputs.add(h)
    _keep(Event("predict", where, epoch=epoch, rows=rows, proj=proj, outputs=outputs,
                name=f"{epoch.cls}.{method}"))



def _number(value):
    try:
        number = float(value)
    except Exception:
        return None
    return number if number == number else None


def _target_check(X, y, rows):
    """Columns of X (whose fingerprints with their values are `rows`) that reproduce y one
    to one on these rows: [(column, how)]."""
    np = _np()
    pd = _pd()
    found = []
    n = rows.n
    yv = y.to_numpy() if pd is not None and isinstance(y, pd.Series) else np.asarray(y) if isinstance(y, (list, np.ndarray)) else None
    if yv is None or yv.ndim != 1 or len(yv) != n or n < 10 or rows.bits is None:
        return found
    bits, numeric = rows.bits
    with np.errstate(all="ignore"):
        yh = column_hash(yv)
        if yh is None:
            return found
        _, yinv = np.unique(yh, return_inverse=True)
        ky = int(yinv.max()) + 1
        if ky < 2:
            return found
        label = getattr(y, "name", None)
        if label is not None and pd is not None and isinstance(X, pd.DataFrame) and label in X.columns:
            found.append((str(label), "is the label column itself"))
        # A column with more distinct values than the label in its first rows cannot map one
        # to one onto it: most columns are ruled out here, all at once.
        head = np.sort(bits[:64], axis=0)
        distinct = (head[1:] != head[:-1]).sum(axis=0) + 1
        order = None
        for k in np.nonzero(distinct <= ky)[0][:300]:
            name = rows.names[k] if rows.names and k < len(rows.names) else f"column {k}"
            if any(f[0] == name for f in found):
                continue
            ch = np.ascontiguousarray(bits[:, k])
            _, cinv = np.unique(ch, return_inverse=True)
            if int(cinv.max()) + 1 != ky or len(np.unique(cinv.astype(np.int64) * ky + yinv)) != ky:
                continue
            if np.array_equal(ch, yh):
                found.append((name, "equals the target on every training row"))
                continue
            monotone = False
            if ky > 2 and yv.dtype.kind in "biuf" and numeric[k]:
                if order is None:
                    order = np.argsort(yv, kind="stable")
                d = np.diff(ch.view(np.float64)[order])
                monotone = bool((d >= 0).all() or (d <= 0).all())
            if monotone:
                found.append((name, "is a monotone function of the target on every training row"))
            elif ky <= n // 2:
                # With (nearly) every label distinct, any column of distinct values (an id)
                # would be one to one with it: only a monotone map counts then.
                found.append((name, "maps one to one onto the target on every training row"))
    return found


# ----------------------------------------------------------------------------------------
# Wrapping

def _traced_method(fn, method):
    @functools.wraps(fn)
    def traced(self, *args, **kwargs):
        __tracebackhide__ = True
        if state.depth or not active:
            return fn(self, *args, **kwargs)
        frame = sys._getframe(1)
        if not _candidate(frame.f_code.co_filename):
            state.depth += 1
            try:
                return fn(self, *args, **kwargs)
            finally:
                state.depth -= 1
        where = _location(frame)
        before = None
        state.calls += 1
        try:
            before = _before(self, method, args, kwargs, where)
        except Exception:
            pass
        state.depth += 1
        try:
            result = fn(self, *args, **kwargs)
        finally:
            state.depth -= 1
        try:
            _after(before, self, result, where)
        except Exception:
            pass
        return result

    _wrappers.add(traced)
    return traced


def _traced_function(fn, record):
    """A module function (a metric, the splitter, a read): `record(args, kwargs, result,
    where)` after the call when the caller is the candidate's code."""

    @functools.wraps(fn)
    def traced(*args, **kwargs):
        __tracebackhide__ = True
        if state.depth or not active:
            return fn(*args, **kwargs)
        frame = sys._getframe(1)
        candidate = _candidate(frame.f_code.co_filename)
        before = None
        if candidate and record is not None:
            state.calls += 1
            try:
                before = record(args, kwargs, None, None, before=True)
            except Exception:
                pass
        state.depth += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            state.depth -= 1
        if candidate and record is not None:
            try:
                record(args, kwargs, result, _location(frame), before=before)
            except Exception:
                pass
        return result

    _wrappers.add(traced)
    return traced


# The wrappers made here and the classes already wrapped, kept beside them rather than as
# attributes on them, so that nothing the program can list carries the tracer's mark.
_wrappers = weakref.WeakSet()
_seen_classes = set()


def _is_traced(fn):
    try:
        return fn in _wrappers
    except TypeError:
        return False


def _wrap_class(cls):
    for owner in getattr(cls, "__mro__", ()):
        module = getattr(owner, "__module__", "") or ""
        if not module.startswith(PACKAGES) or owner in _seen_classes:
            continue
        for method in METHODS:
            attr = owner.__dict__.get(method)
            if attr is None:
                continue
            if hasattr(attr, "fn") and hasattr(attr, "check") and callable(attr.fn):
                if not _is_traced(attr.fn):
                    attr.fn = _traced_method(attr.fn, method)
            elif callable(attr) and not isinstance(attr, (staticmethod, classmethod, type)):
                if not _is_traced(attr):
                    setattr(owner, method, _traced_method(attr, method))
        _seen_classes.add(owner)


def _subclasses(root):
    seen, todo = set(), [root]
    while todo:
        cls = todo.pop()
        try:
            subs = type.__subclasses__(cls)
        except Exception:
            continue
        for sub in subs:
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def _metric_recorder(name):
    def record(args, kwargs, result, where, before=None):
        if where is None:
            return None
        y_true = _arg(args, kwargs, 0, "y_true")
        y_pred = _arg(args, kwargs, 1, "y_pred", "y_score", "y_prob", "y_proba", "probas_pred")
        _keep(Event("metric", where, name=name, y_true=vector_hash(y_true), y_pred=vector_hash(y_pred),
                    value=_number(result)))
    return record


def _record_split(args, kwargs, result, where, before=None):
    if where is None or not isinstance(result, list) or len(result) != 2 * len(args):
        return None
    parts = []
    pd = _pd()
    for i, array in enumerate(args):
        train, test = result[2 * i], result[2 * i + 1]
        parts.append({
            "input": rows_of(array), "train": rows_of(train), "test": rows_of(test),
            "test_vector": vector_hash(test), "train_vector": vector_hash(train),
            "copies": _index_copies(array) if pd is not None else None,
        })
    _keep(Event("split", where, name="train_test_split", parts=parts))


def _index_copies(frame):
    """Rows of a DataFrame that repeat another row's index label and content: copies the
    program made (concat of a frame with part of itself, sampling with replacement)."""
    pd = _pd()
    np = _np()
    if not isinstance(frame, (pd.DataFrame, pd.Series)):
        return None
    dup = frame.index.duplicated(keep=False)
    if not dup.any():
        return None
    rows = rows_of(frame)
    if rows is None:
        return None
    labels = pd.util.hash_array(np.asarray(frame.index, dtype=object), categorize=False)
    keyed = _mix(np, labels ^ rows.fps)
    same = pd.Series(keyed).duplicated(keep=False).to_numpy() & dup
    return set(int(x) for x in rows.fps[same])


def _record_resample(args, kwargs, result, where, before=None):
    if where is None or not args:
        return None
    replace = kwargs.get("replace", True)
    if not replace:
        return None
    outs = result if isinstance(result, list) else [result]
    rows_in, rows_out = rows_of(args[0]), rows_of(outs[0])
    if rows_in is not None and rows_out is not None:
        _keep(Event("resample", where, name="resample", rows_in=rows_in, rows_out=rows_out, synthetic=False))


def _record_sample(frame, args, kwargs, result, where):
    replace = kwargs.get("replace", args[2] if len(args) > 2 else False)
    if not replace:
        return
    rows_in, rows_out = rows_of(frame), rows_of(result)
    if rows_in is not None and rows_out is not None:
        _keep(Event("resample", where, name="DataFrame.sample", rows_in=rows_in, rows_out=rows_out,
                    synthetic=False))


def _record_read(args, kwargs, result, where, before=None):
    if where is None:
        return None
    path = _arg(args, kwargs, 0, "filepath_or_buffer", "io", "path")
    n = len(result) if hasattr(result, "__len__") else None
    _keep(Event("read", where, path=str(path) if isinstance(path, (str, os.PathLike)) else None, n=n))


def _patch_module_functions(module, names, recorder):
    for name in names:
        fn = module.__dict__.get(name)
        if callable(fn) and not _is_traced(fn):
            setattr(module, name, _traced_function(fn, recorder(name) if recorder else None))


def _metric_names(module):
    names = []
    for name, fn in list(module.__dict__.items()):
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        if name.endswith(("_score", "_error", "_loss")) or name in ("classification_report", "confusion_matrix"):
            if name in ("silhouette_score", "calinski_harabasz_score", "davies_bouldin_score",
                        "check_scoring", "get_scorer", "make_scorer"):
                continue
            names.append(name)
    return names


def _patch_sklearn():
    base = sys.modules.get("sklearn.base")
    if base is None:
        return
    for cls in _subclasses(base.BaseEstimator):
        try:
            _wrap_class(cls)
        except Exception:
            pass
    metrics = sys.modules.get("sklearn.metrics")
    if metrics is not None:
        _patch_module_functions(metrics, _metric_names(metrics), _metric_recorder)
    _patch_model_selection()
    _patch_utils()


def _patch_model_selection():
    selection = sys.modules.get("sklearn.model_selection")
    if selection is None:
        return
    fn = selection.__dict__.get("train_test_split")
    if callable(fn) and not _is_traced(fn):
        selection.train_test_split = _traced_function(fn, _record_split)
    _patch_module_functions(selection, CV_FUNCTIONS, None)


def _patch_utils():
    utils = sys.modules.get("sklearn.utils")
    if utils is None:
        return
    fn = utils.__dict__.get("resample")
    if callable(fn) and not _is_traced(fn):
        utils.resample = _traced_function(fn, _record_resample)


def _patch_pandas():
    pd = sys.modules.get("pandas")
    if pd is None or _is_traced(pd.DataFrame.sample):
        return
    for name in READS:
        fn = pd.__dict__.get(name)
        if callable(fn) and not _is_traced(fn):
            setattr(pd, name, _traced_function(fn, _record_read))
    real_sample = pd.DataFrame.sample

    @functools.wraps(real_sample)
    def sample(self, *args, **kwargs):
        __tracebackhide__ = True
        if state.depth or not active:
            return real_sample(self, *args, **kwargs)
        frame = sys._getframe(1)
        state.depth += 1
        try:
            result = real_sample(self, *args, **kwargs)
        finally:
            state.depth -= 1
        if _candidate(frame.f_code.co_filename):
            try:
                _record_sample(self, args, kwargs, result, _location(frame))
            except Exception:
                pass
        return result

    _wrappers.add(sample)
    pd.DataFrame.sample = sample


def _after_import(module):
    name = getattr(module, "__name__", "")
    try:
        if name == "pandas":
            _patch_pandas()
        elif name.startswith(PACKAGES):
            base = sys.modules.get("sklearn.base")
            if base is not None:
                for value in list(module.__dict__.values()):
                    if isinstance(value, type) and issubclass(value, base.BaseEstimator):
                        _wrap_class(value)
            if name == "sklearn.metrics":
                _patch_module_functions(module, _metric_names(module), _metric_recorder)
            elif name == "sklearn.model_selection":
                _patch_model_selection()
            elif name == "sklearn.utils":
                _patch_utils()
    except Exception:
        pass


class ImportHook:
    """First on sys.meta_path: lets the other finders find a module, and patches scikit-learn
    and pandas modules once they have run, so a program that never imports them pays
    nothing and the snapshot stays as it is."""

    busy = False

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if cls.busy or not (fullname == "pandas" or fullname.split(".")[0] in PACKAGES):
            return None
        cls.busy = True
        try:
            for finder in sys.meta_path:
                if finder is cls or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            cls.busy = False
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module") and \
                not _is_traced(getattr(loader.exec_module, "__func__", loader.exec_module)):
            real = loader.exec_module

            def exec_module(module):
                real(module)
                _after_import(module)

            _wrappers.add(exec_module)
            try:
                loader.exec_module = exec_module
            except Exception:
                pass
        return spec

    @staticmethod
    def invalidate_caches():
        pass


def install(prefixes=None, notebook_info=None):
    """Starts tracing: patches what is already imported, and what is imported later.
    `notebook_info` is the support module's {"path", "cells"} of the notebook running."""
    global active, notebook
    if prefixes:
        candidate_prefixes[:] = list(prefixes)
    if notebook_info is not None:
        notebook = notebook_info
    if "sklearn.base" in sys.modules:
        _patch_sklearn()
    if "pandas" in sys.modules:
        _patch_pandas()
    if ImportHook not in sys.meta_path:
        sys.meta_path.insert(0, ImportHook)
    active = True


def finish():
    """Writes the findings of the program that just ended, and forgets its events."""
    global active
    if not state.events and not state.epochs:
        state.reset()
        return
    was, active = active, False
    try:
        if "analyse" not in globals():
            # The conclusions are compiled only for a program that made calls to conclude on.
            exec(_analysis_code(), globals())
        findings = analyse(state)
        os.makedirs(os.path.dirname(REPORT), exist_ok=True)
        with open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps({"summary": {"calls": state.calls, "sampled": state.sampled,
                                              "unrecorded": state.dropped}}) + "\n")
            for finding in findings:
                out.write(json.dumps(finding) + "\n")
    except Exception as error:
        try:
            with open(REPORT, "a", encoding="utf-8") as out:
                out.write(json.dumps({"error": repr(error)[:300]}) + "\n")
        except Exception:
            pass
    finally:
        state.reset()
        active = was

