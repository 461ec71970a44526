"""``python -m gmpcore``: the ``gmpcore`` command (:mod:`gmpcore.cli`).

>>> main(["scenarios"])              # doctest: +ELLIPSIS
fanout     10,000 compute goroutines and a WaitGroup: spills, global batches, stealing
...
container  a service needing ~1.5 CPUs in bursts: try --cpus 8 --quota 150ms/100ms
0
"""

import sys

from gmpcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
