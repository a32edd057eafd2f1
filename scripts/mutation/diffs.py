"""Run by scripts/mutation/run.py with the mutation virtualenv's Python, in the staging tree: the diff of each mutant.

Reads ``{"src/<module>.py": [mutant names]}`` as JSON on stdin, writes ``{name: diff}``. One process for all of them
(``mutmut show`` costs a second per mutant). Uses mutmut's own diff function, so mutmut is pinned (run.py).
"""

from __future__ import annotations

import json
import sys

from mutmut.mutation.diff_apply import get_diff_for_mutant

if __name__ == "__main__":
    wanted: dict[str, list[str]] = json.load(sys.stdin)
    diffs = {name: get_diff_for_mutant(name, path=path) for path, names in wanted.items() for name in names}
    json.dump(diffs, sys.stdout)
