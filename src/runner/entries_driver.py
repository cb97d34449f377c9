# The sequence driver: runs several entry points (scripts and notebooks) in order in one
# interpreter and one working copy, so that each sees the files the ones before it wrote.
# Embedded by src/runner/entries.rs after the notebook driver, which appends the call
#     _takehome_entries(ENTRIES_JSON, RESULTS_PATH, SEED)
# after the run's prelude (set up for the first entry).
#
# Each entry starts as `python ENTRY` (or a fresh kernel) would: from its own folder, its
# own sys.argv, the same seeds, a fresh namespace, and none of the modules the entries
# before it imported from the working copy. One JSON line goes to RESULTS_PATH when an
# entry starts and one when it ends:
#     {"entry": 0, "started": true}
#     {"entry": 0, "exit_code": 0, "fuel_used": N}
# and a last line {"done": true} when every entry ran. A notebook's cells go to its own
# results file, written by _takehome_notebook.


def _takehome_entries(entries_json, results_path, seed):
    import json
    import sys
    import time

    import _takehome

    def emit(record):
        with open(results_path, "a", encoding="utf-8") as results:
            results.write(json.dumps(record) + "\n")

    def run_script(path):
        """The script's exit code: 0, its sys.exit(n), or 1 for an uncaught exception."""
        try:
            _takehome.run_script(path)
        except SystemExit as exit:
            code = exit.code
            if code is None:
                return 0
            if isinstance(code, int):
                return code
            sys.stderr.write(f"{code}\n")
            return 1
        return 0

    for number, entry in enumerate(json.loads(entries_json)):
        if number > 0:
            _takehome.next_entry(entry["argv"], entry["workdir"], entry["script_dir"], seed)
        emit({"entry": number, "started": True})
        start = time.monotonic_ns()
        if entry["cells"] is None:
            code = run_script(entry["path"])
        else:
            _takehome_notebook(json.dumps(entry["cells"]), entry["results"])
            _takehome.flush_reports()
            code = 0
        emit({"entry": number, "exit_code": code, "fuel_used": time.monotonic_ns() - start})
    emit({"done": True})
