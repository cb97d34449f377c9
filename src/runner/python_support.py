"""takehome's support code inside the Python sandbox, shared by every prelude.

The harness loads this file as the module `_takehome` before it starts the candidate's
program. It prepares the process (argv, environment, working folder, sys.path, seeds) and
installs hooks that explain to a reviewer why a part of the program could not run:

- an import of a module the sandbox lacks stops with a message naming the module, saying
  whether it is a known package with compiled code or simply not provided, and pointing to
  `takehome runner list`;
- files the program tried to open that do not exist, and attempts to reach the network, are
  noted as they happen.

Notes go to REPORT as JSON lines ({"kind", "detail", "message", "count"}), which the harness
reads after the run into the record's `diagnostics`. Everything here is plain Python with no
import of its own beyond the standard library, so a prelude for another kind of entry (a
notebook) can call the same functions.
"""

import builtins
import io
import json
import os
import sys

WORK = "/work"
REPORT = "/tmp/.takehome/diagnostics.jsonl"
HINT = "run `takehome runner list` to see the packages available"
# Files whose frames are the harness's own, hidden from tracebacks.
OWN_FILES = {"<takehome>", "<takehome-prelude>"}
# Where the candidate's code lives; a notebook prelude may add the names it compiles cells under.
candidate_prefixes = [WORK + "/"]

# Import names of well-known packages that need compiled code the sandbox cannot load.
COMPILED = {
    "torch": "PyTorch",
    "torchvision": "torchvision (needs PyTorch)",
    "torchaudio": "torchaudio (needs PyTorch)",
    "tensorflow": "TensorFlow",
    "keras": "Keras (needs TensorFlow, JAX or PyTorch)",
    "jax": "JAX",
    "jaxlib": "JAX",
    "xgboost": "XGBoost",
    "lightgbm": "LightGBM",
    "catboost": "CatBoost",
    "shap": "SHAP",
    "numba": "Numba",
    "llvmlite": "llvmlite",
    "cv2": "OpenCV",
    "spacy": "spaCy",
    "thinc": "thinc (spaCy)",
    "polars": "Polars",
    "duckdb": "DuckDB",
    "pyarrow": "PyArrow",
    "tokenizers": "tokenizers",
    "transformers": "transformers (needs PyTorch or TensorFlow)",
    "sentencepiece": "sentencepiece",
    "timm": "timm (needs PyTorch)",
    "faiss": "FAISS",
    "onnxruntime": "ONNX Runtime",
    "prophet": "Prophet",
    "fbprophet": "Prophet",
    "pmdarima": "pmdarima",
    "umap": "umap-learn (needs Numba)",
    "hdbscan": "hdbscan",
    "psycopg2": "psycopg2",
    "lxml": "lxml",
    "gensim": "gensim",
    "shapely": "Shapely",
    "geopandas": "GeoPandas (needs Shapely and pyproj)",
    "pyproj": "pyproj",
    "fiona": "Fiona",
    "skimage": "scikit-image",
    "h5py": "h5py",
    "tables": "PyTables",
    "numexpr": "numexpr",
    "bottleneck": "Bottleneck",
    "pyspark": "PySpark (needs Java)",
    "mxnet": "MXNet",
    "cupy": "CuPy",
    "rapidfuzz": "RapidFuzz",
    "Levenshtein": "Levenshtein",
    "autosklearn": "auto-sklearn",
    "statsforecast": "statsforecast (needs Numba)",
}
# Modules the interpreter itself lacks because the sandbox has no network.
NO_NETWORK = {"_socket", "_ssl", "ssl", "select", "selectors"}

_real_open = io.open
_real_listdir = os.listdir
_real_scandir = os.scandir
_counts = {}
_quiet = False
# The methodology tracer (see src/runner/methodology.rs): its source, set by the harness's
# loader, is compiled and installed only when the program first imports one of WATCHED,
# so a program that never does pays nothing for it.
_method_source = None
_analysis_source = None
_method = None
# The harness's own sources compiled when the snapshot was built, by name: (source, code).
# A code object is used only for the very source it was compiled from.
_compiled = {}
WATCHED = ("sklearn", "pandas", "imblearn", "xgboost", "lightgbm", "catboost")
# The notebook running, for the tracer's locations: its path, and execution count -> cell.
notebook_info = {"path": None, "cells": {}}
_real_import = builtins.__import__


def report(kind, detail, message):
    """Notes one occurrence of a diagnostic (the first one is written at once)."""
    global _quiet
    if _quiet:
        return
    key = (kind, detail)
    seen = _counts.get(key, 0)
    _counts[key] = seen + 1
    if seen or len(_counts) > 500:
        return
    _quiet = True
    try:
        os.makedirs(os.path.dirname(REPORT), exist_ok=True)
        with _real_open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, "detail": detail, "message": message}) + "\n")
    except Exception:
        pass
    finally:
        _quiet = False


def flush_reports():
    """Writes how many more times each diagnostic happened; call when the program ends."""
    global _quiet
    _quiet = True
    try:
        with _real_open(REPORT, "a", encoding="utf-8") as out:
            for (kind, detail), count in list(_counts.items())[:500]:
                if count > 1:
                    line = {"kind": kind, "detail": detail, "message": "", "count": count - 1}
                    out.write(json.dumps(line) + "\n")
    except Exception:
        pass
    finally:
        _counts.clear()
        _quiet = False


def _watching_import(name, globals=None, locals=None, fromlist=(), level=0):
    __tracebackhide__ = True  # IPython leaves this frame out of a failed import's traceback
    if level == 0 and name.partition(".")[0] in WATCHED:
        builtins.__import__ = _real_import
        start_methodology()
    return _real_import(name, globals, locals, fromlist, level)


def compiled(name, source):
    """The code of one of the harness's sources: the snapshot's, when it compiled this very
    source, else compiled now (the plain and native runners, an older snapshot)."""
    hit = _compiled.get(name)
    if hit is not None and hit[0] == source:
        return hit[1]
    return compile(source, "<takehome>", "exec")


def install_methodology():
    if _method_source is not None and _method is None:
        builtins.__import__ = _watching_import


def start_methodology():
    """Compiles and installs the tracer (once)."""
    global _method
    if _method is not None or _method_source is None:
        return
    import types
    tracer = types.ModuleType("_takehome_method")
    tracer.__file__ = "<takehome>"
    try:
        exec(compiled("tracer", _method_source), tracer.__dict__)
        tracer._analysis_code = lambda: compiled("analysis", _analysis_source)
        tracer.install([WORK + "/"], notebook_info)
        _method = tracer
    except Exception as error:
        sys.stderr.write(f"takehome: could not start the methodology tracer: {error!r}\n")


def notebook_started(path):
    notebook_info["path"] = path
    notebook_info["cells"] = {}


def cell_started(execution_count, index):
    notebook_info["cells"][execution_count] = index


def finish_methodology():
    """Writes the methodology findings of the program that just ended."""
    if _method is not None:
        try:
            _method.finish()
        except Exception:
            pass


def is_candidate_code(filename):
    return any(filename.startswith(prefix) for prefix in candidate_prefixes)


# ----------------------------------------------------------------------------------------
# Imports

def missing_module_message(name):
    """Why the top-level module `name` cannot be imported, in one line."""
    if name in COMPILED:
        why = f"{COMPILED[name]} is a package with compiled code, which the sandbox cannot run"
    elif name in NO_NETWORK:
        why = "the sandbox has no network, so the interpreter has no sockets"
    else:
        why = "it is not in the submission and the python runner does not provide it"
    return f"No module named '{name}': {why}; {HINT}"


class MissingModules:
    """The last finder on sys.meta_path: reached only when no other found the module."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if path is not None or "." in fullname:
            return None
        frame = sys._getframe(1)
        in_import = False
        importer = None
        while frame is not None:
            name = frame.f_code.co_filename
            if frame.f_code.co_name == "_find_and_load_unlocked":
                in_import = True
            if not name.startswith("<frozen") and name not in OWN_FILES:
                importer = name
                break
            frame = frame.f_back
        if not in_import:
            return None
        message = missing_module_message(fullname)
        if importer is not None and is_candidate_code(importer):
            report("missing_module", fullname, message)
        raise ModuleNotFoundError(message, name=fullname)

    @staticmethod
    def invalidate_caches():
        pass


def install_import_messages():
    sys.meta_path[:] = [f for f in sys.meta_path if f is not MissingModules]
    sys.meta_path.append(MissingModules)


# ----------------------------------------------------------------------------------------
# Files

def _shown(file):
    if isinstance(file, int):
        return None
    try:
        path = os.fsdecode(os.fspath(file))
    except TypeError:
        return None
    absolute = path if path.startswith("/") else os.path.join(os.getcwd(), path)
    if absolute.startswith(("/usr/local/", "/tmp/")) or "__pycache__" in absolute:
        return None
    return path


def note_missing(file):
    path = _shown(file)
    if path is None:
        return
    drive = len(path) > 2 and path[1] == ":" and path[0].isalpha()
    where = "" if path.startswith("/") or drive else f" (from {os.getcwd()})"
    hint = ", a path on the author's own machine" if drive else ""
    report("missing_file", path, f"tried to open `{path}`{where}, which does not exist{hint}")


def _open(file, *args, **kwargs):
    try:
        return _real_open(file, *args, **kwargs)
    except FileNotFoundError:
        note_missing(file)
        raise


def _listdir(path="."):
    try:
        return _real_listdir(path)
    except FileNotFoundError:
        note_missing(path)
        raise


def _scandir(path="."):
    try:
        return _real_scandir(path)
    except FileNotFoundError:
        note_missing(path)
        raise


def install_file_notes():
    builtins.open = _open
    io.open = _open
    os.listdir = _listdir
    os.scandir = _scandir


# ----------------------------------------------------------------------------------------
# Network

_reaching = False


def note_network(detail):
    report("network", str(detail), f"tried to reach {detail}: the sandbox has no network")


def _address(address):
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _noting(describe, real):
    """`real`, noting the address it is called with, unless an outer hooked call already did."""

    def hooked(*args, **kwargs):
        global _reaching
        if _reaching:
            return real(*args, **kwargs)
        note_network(describe(*args))
        _reaching = True
        try:
            return real(*args, **kwargs)
        finally:
            _reaching = False

    return hooked


def _unreachable(name):
    """A stand-in for a network function the interpreter lacks: it fails as a network would."""

    def unreachable(*args, **kwargs):
        raise OSError(f"{name}: the sandbox has no network")

    return unreachable


def install_network_notes():
    try:
        import socket
    except Exception:
        return
    hooks = [
        (socket, "getaddrinfo", lambda host, port=None, *rest: f"{host}:{port}" if port else host),
        (socket, "gethostbyname", lambda host, *rest: host),
        (socket, "create_connection", lambda address, *rest: _address(address)),
        (socket.socket, "connect", lambda self, address: _address(address)),
        (socket.socket, "connect_ex", lambda self, address: _address(address)),
    ]
    request = sys.modules.get("urllib.request")
    if request is not None:
        hooks.append((request, "urlopen", lambda url, *rest: getattr(url, "full_url", url)))
    for owner, name, describe in hooks:
        real = getattr(owner, name, None)
        if real is None and owner is socket:
            real = _unreachable(f"socket.{name}")
        if real is not None:
            try:
                setattr(owner, name, _noting(describe, real))
            except (AttributeError, TypeError):
                pass


# ----------------------------------------------------------------------------------------
# Starting a program

def prepare(argv, env, workdir, seed=None, paths=(), script_dir=None):
    """Sets up the process as `python ENTRY ARGS` run from `workdir` would see it: the
    entry's folder `script_dir` (default `workdir`) first on sys.path, the folders `paths`
    (the runner's extra packages) last."""
    sys.argv = list(argv)
    os.environ.clear()
    os.environ.update(env)
    os.makedirs(os.environ.get("MPLCONFIGDIR", "/tmp/matplotlib"), exist_ok=True)
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    os.chdir(workdir)
    for path in paths:
        if path not in sys.path:
            sys.path.append(path)
    global _entry_dir
    _entry_dir = (script_dir or workdir).rstrip("/") or "/"
    sys.path.insert(0, _entry_dir)
    _invalidate_import_caches()
    _reseed(seed)
    for install in (install_import_messages, install_file_notes, install_network_notes,
                    install_methodology):
        try:
            install()
        except Exception as error:
            sys.stderr.write(f"takehome: could not install {install.__name__}: {error!r}\n")


_entry_dir = None


def _invalidate_import_caches():
    """importlib.invalidate_caches(), so that the working copy's modules are found, but
    keeping what was read of the runner's own zips (the standard library and packages under
    /usr/local): they are the very bytes the snapshot read, and reading a zip's directory
    again costs more than a short program, at its first import."""
    import importlib
    import zipimport
    cache = getattr(zipimport, "_zip_directory_cache", None)
    kept = {} if cache is None else {k: v for k, v in cache.items() if k.startswith("/usr/local/")}
    importlib.invalidate_caches()
    if cache is not None:
        cache.update(kept)


def _reseed(seed):
    if seed is not None:
        import random
        random.seed(seed)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed(seed % (1 << 32))


def next_entry(argv, workdir, script_dir, seed=None):
    """Starts the next of several entries as `python ENTRY` from `workdir` would: its argv,
    its own folder first on sys.path in place of the last entry's, the same seeds, and none
    of the modules the entries before it imported from the working copy."""
    global _entry_dir
    sys.argv = list(argv)
    os.chdir(workdir)
    if _entry_dir in sys.path:
        sys.path.remove(_entry_dir)
    _entry_dir = script_dir.rstrip("/") or "/"
    sys.path.insert(0, _entry_dir)
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(WORK + "/"):
            del sys.modules[name]
    _invalidate_import_caches()
    _reseed(seed)


def print_error(error):
    """Prints a traceback of the candidate's own frames (and deeper), none of the harness's."""
    import traceback
    tb = error.__traceback__
    while tb is not None and not is_candidate_code(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    shown = traceback.TracebackException(type(error), error, tb)
    shown.stack = traceback.StackSummary.from_list(
        [f for f in shown.stack if f.filename not in OWN_FILES]
    )
    sys.stderr.write("".join(shown.format()))


def run_script(path):
    """Runs the script at `path` as `__main__`; an uncaught exception exits with 1."""
    import runpy
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as error:
        print_error(error)
        sys.exit(1)
    finally:
        finish_methodology()
        flush_reports()
        sys.stdout.flush()
        sys.stderr.flush()
