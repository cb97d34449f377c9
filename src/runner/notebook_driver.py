# The notebook driver: runs a notebook's code cells, in order, in one IPython
# InteractiveShell inside the sandboxed interpreter, the way a Jupyter kernel would but
# without ZeroMQ. Embedded by src/runner/notebook.rs, which appends the call
#     _takehome_notebook(CELLS_JSON, RESULTS_PATH)
# after the run's prelude (argv, environment, working directory, seeds). With several
# entries, entries_driver.py calls it once per notebook, each with a fresh shell.
#
# After each cell one JSON line goes to RESULTS_PATH (opened, appended, closed), so the
# host still knows what ran when a limit stops the run in the middle of a later cell:
#     {"index": 3, "execution_count": 2, "status": "ok"|"error", "fuel_used": N,
#      "outputs": [nbformat 4 output dicts], "error": {"ename", "evalue"} | null,
#      "random": {"unseeded": ["RandomForestClassifier (line 3)"], "seeds": false} | null}
# and a last line {"done": true} when every cell ran.
#
# With `script`, the driver runs that file instead: a script exported from a notebook
# (`get_ipython()` calls, `# In[1]:` markers), as one cell of the same shell, so its magics
# behave as in the notebook it came from; its output goes straight to the run's streams.
#
# Anything needing a process or the network (`!cmd`, %pip, %conda, %%bash, ...) is a
# visible no-op: the cell goes on and its stderr output says what was skipped and why.


def _takehome_notebook(cells_json, results_path, script=None):
    import json
    import sys
    import time

    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
    from IPython.utils.text import SList
    from traitlets.config import Config

    cells = json.loads(cells_json)
    real_stdout, real_stderr = sys.stdout, sys.stderr

    class Sink:
        """The outputs of the cell being run, in nbformat 4 shape."""

        def __init__(self):
            self.outputs = []

        def stream(self, name, text):
            if not text:
                return
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last["output_type"] == "stream" and last["name"] == name:
                last["text"] += text
            else:
                self.outputs.append({"output_type": "stream", "name": name, "text": text})

        def add(self, output):
            self.outputs.append(output)

        def clear(self):
            self.outputs = []

    sink = Sink()

    class CellStream:
        """sys.stdout / sys.stderr during a cell: into the cell's outputs and, so that the
        run's own stream limits hold, on to the real stream too."""

        def __init__(self, name, real):
            self.name = name
            self.real = real

        def write(self, text):
            if not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            sink.stream(self.name, text)
            self.real.write(text)
            return len(text)

        def writelines(self, lines):
            for line in lines:
                self.write(line)

        def flush(self):
            self.real.flush()

        def isatty(self):
            return False

        def fileno(self):
            return self.real.fileno()

        @property
        def encoding(self):
            return "utf-8"

        def writable(self):
            return True

        def readable(self):
            return False

    def plain(data):
        """A MIME bundle made JSON-safe: text stays text, anything else through json."""
        out = {}
        for mime, value in dict(data or {}).items():
            try:
                json.dumps(value)
                out[str(mime)] = value
            except (TypeError, ValueError):
                out[str(mime)] = repr(value)
        return out

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            if update:
                return
            sink.add({"output_type": "display_data", "data": plain(data), "metadata": plain(metadata)})

        def clear_output(self, wait=False):
            sink.clear()

    class Hook(DisplayHook):
        def start_displayhook(self):
            super().start_displayhook()
            self.pending = None

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.pending = {
                "output_type": "execute_result",
                "execution_count": self.shell.execution_count - 1,
                "data": plain(format_dict),
                "metadata": plain(md_dict),
            }

        def finish_displayhook(self):
            if self.pending is not None:
                sink.add(self.pending)
                self.pending = None
            self._is_active = False

    class ZMQShell(InteractiveShell):
        """An InteractiveShell whose outputs become nbformat outputs of the current cell.

        Libraries ask whether they print into a Jupyter kernel rather than a terminal, and
        lay out text accordingly: pandas looks for "zmq" in the shell's type name (then it
        reports no console size and wraps frames at `display.width`, 80) and for a `kernel`
        attribute (then it shows up to 20 columns instead of fitting a terminal). The name
        and the attribute answer as ipykernel's shell does, so a notebook prints here what it
        printed in the candidate's Jupyter."""

        kernel = None

        last_error = None

        def init_displayhook(self):
            self.displayhook = Hook(parent=self, shell=self, cache_size=self.cache_size)
            self.configurables.append(self.displayhook)
            self.display_trap = __import__(
                "IPython.core.display_trap", fromlist=["DisplayTrap"]
            ).DisplayTrap(hook=self.displayhook)

        def init_display_pub(self):
            self.display_pub = Publisher(parent=self, shell=self)
            self.configurables.append(self.display_pub)

        def enable_gui(self, gui=None):
            # No event loop in the sandbox: figures are shown inline at the end of each cell.
            pass

        def _showtraceback(self, etype, evalue, stb):
            text = self.InteractiveTB.stb2text(stb)
            self.last_error = {"ename": getattr(etype, "__name__", str(etype)), "evalue": str(evalue)}
            sink.add({
                "output_type": "error",
                "ename": self.last_error["ename"],
                "evalue": self.last_error["evalue"],
                "traceback": list(stb),
            })
            real_stderr.write(text + "\n")

        def system_piped(self, cmd):
            skipped(f"!{cmd}", "shell commands need a process, and the sandbox starts none")

        system = system_piped
        system_raw = system_piped

        def getoutput(self, cmd, split=True, depth=0):
            skipped(f"!{cmd}", "shell commands need a process, and the sandbox starts none")
            return SList() if split else ""

    def skipped(what, why):
        sys.stderr.write(f"[takehome] skipped `{what.strip()}`: {why}; the cell goes on without it.\n")
        note_installs(what)

    # Distribution names whose import name differs.
    import_names = {
        "scikit-learn": "sklearn", "sklearn": "sklearn", "opencv-python": "cv2",
        "opencv-python-headless": "cv2", "opencv-contrib-python": "cv2", "pillow": "PIL",
        "beautifulsoup4": "bs4", "pyyaml": "yaml", "python-dateutil": "dateutil",
        "scikit-image": "skimage", "xgboost-cpu": "xgboost", "imbalanced-learn": "imblearn",
        "pytorch": "torch", "tensorflow-cpu": "tensorflow", "lightgbm": "lightgbm",
        "catboost": "catboost", "sentence-transformers": "sentence_transformers",
    }

    def note_installs(what):
        """`pip install X` (as `%pip`, `!pip`, `!python -m pip`, `%conda`): each X the
        interpreter cannot import is a missing module, named as the run's diagnostics name it."""
        import importlib.util
        import re
        words = what.replace("!", " ").replace("%", " ").split()
        if "install" not in words:
            return
        for word in words[words.index("install") + 1:]:
            if word.startswith("-") or "/" in word or word.startswith("git+"):
                continue
            name = re.split(r"[\[<>=!~;@ ]", word.strip("'\""), maxsplit=1)[0].lower()
            if not name:
                continue
            module = import_names.get(name, name.replace("-", "_"))
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                support = sys.modules.get("_takehome")
                if support is not None:
                    support.report("missing_module", module, support.missing_module_message(module)
                                   + f" (the notebook installs it with `{what.strip()}`)")

    no_install = "the sandbox has no network and installs nothing; only the runner's packages are available"
    no_process = "it needs a process, and the sandbox starts none"

    @magics_class
    class SandboxMagics(Magics):
        @line_magic
        def pip(self, line):
            skipped(f"%pip {line}", no_install)

        @line_magic
        def conda(self, line):
            skipped(f"%conda {line}", no_install)

        @line_magic
        def mamba(self, line):
            skipped(f"%mamba {line}", no_install)

        @line_magic
        def micromamba(self, line):
            skipped(f"%micromamba {line}", no_install)

        @line_magic
        def uv(self, line):
            skipped(f"%uv {line}", no_install)

        @line_cell_magic
        def timeit(self, line, cell=None):
            """%timeit runs its statement once: the sandbox's clock is virtual, and repeating
            a statement many times would only spend the fuel budget."""
            _, statement = self.parse_options(line, "n:r:tcp:qo", posix=False, strict=False, preserve_non_opts=True)
            setup, body = ("", statement) if cell is None else (statement, cell)
            if setup.strip():
                self.shell.ex(setup)
            start = time.perf_counter()
            self.shell.ex(body)
            elapsed = time.perf_counter() - start
            print(f"{elapsed * 1e3:.3g} ms, run once (%timeit repeats nothing in the sandbox)")

    def kernel_display_defaults():
        """pandas chose its column limit when it was imported (in the snapshot, before any
        shell existed, so as for a terminal); a kernel starts with 20."""
        pandas = sys.modules.get("pandas")
        if pandas is not None:
            pandas.set_option("display.max_columns", 20)

    import ast

    # Calls that draw random numbers unless given a seed (`random_state=`), by their last name.
    needs_random_state = {
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
        "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
        "BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor",
        "IsolationForest", "MLPClassifier", "MLPRegressor", "SGDClassifier", "SGDRegressor",
        "Perceptron", "KMeans", "MiniBatchKMeans", "GaussianMixture", "TSNE",
        "train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "RandomizedSearchCV",
        "SMOTE", "RandomOverSampler", "RandomUnderSampler", "resample", "sample",
        "make_classification", "make_regression", "make_blobs", "make_moons", "make_circles",
    }
    # Splitters that shuffle only when asked to.
    shuffle_if_asked = {"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold"}
    global_draws = {
        "rand", "randn", "randint", "random", "random_sample", "ranf", "choice", "choices",
        "shuffle", "permutation", "normal", "uniform", "binomial", "poisson", "exponential",
        "gauss", "randrange", "multivariate_normal", "standard_normal", "randperm",
    }
    seeding = {"seed", "manual_seed", "set_seed", "set_random_seed", "seed_everything"}

    def dotted(node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
        return ".".join(reversed(parts))

    def random_use(source):
        """The cell's calls that draw random numbers with no seed, and whether it sets one;
        read from its code (as IPython runs it), never from its objects."""
        try:
            tree = ast.parse(shell.transform_cell(source))
        except Exception:
            return None
        unseeded, seeds = [], False
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            keywords = {k.arg: k.value for k in node.keywords}
            if None in keywords:  # **kwargs: the seed may be in there
                continue
            module_level = name.startswith(("np.random.", "numpy.random.", "random.", "torch."))
            if last in seeding and node.args + node.keywords:
                seeds = True
            elif module_level and last in global_draws:
                unseeded.append(f"{name} (line {node.lineno})")
            elif last in ("default_rng", "RandomState") and not (node.args or node.keywords):
                unseeded.append(f"{name}() (line {node.lineno})")
            elif module_level:
                continue
            elif last in needs_random_state and "random_state" not in keywords:
                shuffle = keywords.get("shuffle")
                if isinstance(shuffle, ast.Constant) and shuffle.value is False:
                    continue
                unseeded.append(f"{last} (line {node.lineno})")
            elif last in shuffle_if_asked and "random_state" not in keywords:
                shuffle = keywords.get("shuffle")
                if isinstance(shuffle, ast.Constant) and shuffle.value is True:
                    unseeded.append(f"{last} (line {node.lineno})")
        if not unseeded and not seeds:
            return None
        return {"unseeded": unseeded, "seeds": seeds}

    config = Config()
    config.HistoryManager.enabled = False
    config.HistoryAccessor.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.xmode = "Context"
    if InteractiveShell.initialized():
        # A notebook ran before this one (several entries): start as a fresh kernel would,
        # from an empty namespace, with no figure left open, and free the last one's objects.
        previous = InteractiveShell.instance()
        previous.reset(new_session=True)
        type(previous).clear_instance()
        InteractiveShell.clear_instance()
        try:
            import matplotlib.pyplot
            matplotlib.pyplot.close("all")
        except Exception:
            pass
    shell = ZMQShell.instance(config=config)
    kernel_display_defaults()
    # Cells are compiled as `<ipython-input-N-...>`: the candidate's code, for the diagnostics.
    support = sys.modules.get("_takehome")
    if support is not None and "<ipython-input-" not in support.candidate_prefixes:
        support.candidate_prefixes.append("<ipython-input-")
    shell.register_magics(SandboxMagics)
    for name in ("bash", "sh", "script", "perl", "ruby", "python2", "python3", "pypy"):
        def script_magic(line, cell, name=name):
            skipped(f"%%{name} {line}", no_process)

        shell.register_magic_function(script_magic, magic_kind="cell", magic_name=name)
    try:
        shell.enable_matplotlib("inline")
    except Exception as error:  # matplotlib missing: figures simply are not shown.
        real_stderr.write(f"[takehome] inline figures are off: {error}\n")

    def run_exported_script(path):
        """Runs the script at `path` in the shell; exits as `python` would (1 on an error)."""
        support = sys.modules["_takehome"]
        with open(path, encoding="utf-8") as file:
            source = file.read()
        shell.user_ns["__file__"] = path
        shell.ast_node_interactivity = "none"
        try:
            result = shell.run_cell(source, store_history=False)
        finally:
            support.flush_reports()
            sys.stdout.flush()
            sys.stderr.flush()
        error = result.error_before_exec or result.error_in_exec
        if isinstance(error, SystemExit):
            sys.exit(error.code)
        if not result.success:
            sys.exit(1)

    def fuel():
        # Under the virtual clock, monotonic time advances one nanosecond per unit of fuel
        # (plus virtual sleeps and a microsecond per clock read): a cell's fuel, read from
        # inside the guest. The host keeps it only for virtual-clock runs.
        return time.monotonic_ns()

    def emit(record):
        with open(results_path, "a", encoding="utf-8") as results:
            results.write(json.dumps(record) + "\n")

    if script is not None:
        return run_exported_script(script)

    import _takehome
    _takehome.notebook_started(sys.argv[0] if sys.argv else None)
    for cell in cells:
        _takehome.cell_started(shell.execution_count, cell["index"])
        sink.clear()
        shell.last_error = None
        sys.stdout = CellStream("stdout", real_stdout)
        sys.stderr = CellStream("stderr", real_stderr)
        start = fuel()
        try:
            result = shell.run_cell(cell["source"], store_history=True)
            failed = not result.success
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = real_stdout, real_stderr
        used = fuel() - start
        error = shell.last_error if failed else None
        if failed and error is None:
            error = {"ename": "Error", "evalue": "the cell failed"}
        emit({
            "index": cell["index"],
            "execution_count": shell.execution_count - 1,
            "status": "error" if failed else "ok",
            "fuel_used": used,
            "outputs": sink.outputs,
            "error": error,
            "random": random_use(cell["source"]),
        })
    _takehome.finish_methodology()
    emit({"done": True})
