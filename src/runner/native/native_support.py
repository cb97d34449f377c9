# Added after takehome's support module (`_takehome`) in every python-native run: the
# messages and notes that differ from the WebAssembly tier. Plain standard library.
import os as _os
import sys as _sys

import _takehome as _th

_th.HINT = "name it in the project's requirements.txt, or in the assignment's [runner] packages (python-native installs binary wheels)"


def _native_missing(name):
    package = _th.COMPILED.get(name, name)
    if name in _th.NO_NETWORK:
        why = "the sandbox has no network"
    else:
        why = f"the python-native environment does not install {package}"
    return f"No module named '{name}': {why}; {_th.HINT}"


_th.missing_module_message = _native_missing

# A fork refused for the process limit (EAGAIN) is noted, so the run's verdict can say so.
_PROCESS_NOTE = "/tmp/.takehome/process-limit"


def _note_process_limit():
    try:
        _os.makedirs(_os.path.dirname(_PROCESS_NOTE), exist_ok=True)
        with open(_PROCESS_NOTE, "a") as note:
            note.write("fork refused\n")
    except Exception:
        pass


def _watch_forks(owner, name):
    real = getattr(owner, name, None)
    if real is None:
        return

    def watched(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except BlockingIOError:
            _note_process_limit()
            raise

    setattr(owner, name, watched)


for _owner, _name in ((_os, "fork"), (_os, "posix_spawn"), (_os, "posix_spawnp")):
    _watch_forks(_owner, _name)
try:
    import _posixsubprocess

    _watch_forks(_posixsubprocess, "fork_exec")
except ImportError:
    pass
try:
    import threading as _threading

    _real_start = _threading.Thread.start

    def _start(self, *args, **kwargs):
        try:
            return _real_start(self, *args, **kwargs)
        except RuntimeError as error:
            if "can't start new thread" in str(error):
                _note_process_limit()
            raise

    _threading.Thread.start = _start
except ImportError:
    pass

# Files the libraries themselves probe for (metadata, optional data) are not the program's.
_real_shown = _th._shown
# /sys and /proc: what joblib and friends probe for the CPU count.
_LIBRARY_PREFIXES = ("/opt/venv/", "/usr/", "/sys/", "/proc/", _sys.base_prefix.rstrip("/") + "/")


def _shown(file):
    path = _real_shown(file)
    if path is None:
        return None
    absolute = path if path.startswith("/") else _os.path.join(_os.getcwd(), path)
    return None if absolute.startswith(_LIBRARY_PREFIXES) else path


_th._shown = _shown
