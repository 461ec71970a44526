"""``python -m gmpcore``: the ``gmpcore`` command (:mod:`gmpcore.cli`).

>>> main(["scenarios"])              # doctest: +ELLIPSIS
fanout     10,000 compute goroutines and a WaitGroup: spills, global batches, stealing
...
ticker     a ticker-driven loop beside CPU-bound goroutines: late and dropped ticks
0
"""

import sys

from gmpcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
