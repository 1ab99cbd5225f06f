"Shared helpers for the end-to-end tests (the quick, literate tests live in the notebooks)."
import os, signal, subprocess, sys, tempfile
from pathlib import Path

from minifast.core import data_dir

REPO = Path(__file__).resolve().parent.parent


def child_env():
    "This environment, with `MINIFAST_DATA` set to the datasets this process finds, which a child elsewhere would miss."
    try: return os.environ | {'MINIFAST_DATA': str(data_dir().resolve())}
    except FileNotFoundError: return dict(os.environ)


def _ctrl_c_as_in_a_terminal():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interruptible(args, **kwargs):
    "`Popen(args)` whose child turns Ctrl-C into KeyboardInterrupt as in a terminal, even if this process ignores it."
    # a job started in the background of a script inherits SIGINT ignored, and Python then installs no handler for it
    return subprocess.Popen(args, env=child_env(), preexec_fn=_ctrl_c_as_in_a_terminal, **kwargs)


def run(*args, timeout=300, **kwargs):
    "Run `args` in an empty folder (so it imports the installed minifast, not the checkout's); returns text output."
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run([*map(str, args)], cwd=cwd, env=child_env(), capture_output=True, text=True,
                              timeout=timeout, **kwargs)


def run_python(*args, **kwargs):
    "Run this interpreter on `args` (paths absolute) in an empty folder; see `run`."
    return run(sys.executable, *args, **kwargs)

