#!/usr/bin/env python3
"""Generator for the `churn-boosted` assignment: its data is churn's, to the byte.

Runs ../churn/generate.py (which rewrites churn's files byte-identically) and copies
data/train.csv, data/test.csv and hidden/test_labels.csv here. Python 3 standard library
only.
"""

import os
import runpy
import shutil

FILES = ["data/train.csv", "data/test.csv", "hidden/test_labels.csv"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    churn = os.path.join(here, os.pardir, "churn")
    runpy.run_path(os.path.join(churn, "generate.py"), run_name="__main__")
    for name in FILES:
        os.makedirs(os.path.dirname(os.path.join(here, name)), exist_ok=True)
        shutil.copyfile(os.path.join(churn, name), os.path.join(here, name))


if __name__ == "__main__":
    main()
