"""``python -m gmpcore``: the ``gmpcore`` command (:mod:`gmpcore.cli`).

>>> main(["scenarios"])              # doctest: +ELLIPSIS
fanout     10,000 compute goroutines and a WaitGroup: spills, global batches, stealing
...
pipeline   stages joined by buffered channels: where items queue, hop by hop
0
"""

import sys

from gmpcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
