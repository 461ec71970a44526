"""The runtime's own programs, appended to a workload's bytecode by both
engines: runtime.main's steps before main.main and the runtime goroutines
it starts (``simulate(runtime_init=True)``), and the GOMAXPROCS updater.

What Go 1.25's ``runtime.main`` does that the scheduler sees, in order
(docs/model.md "Start-up"; measured on Go 1.27.3 by
benchmarks/go/rtstart): ``lockOSThread`` (m0 stays wired to G1 while the
package inits run, lockedInt only); the runtime's init starts
``forcegchelper`` (G2); ``gcenable`` starts ``bgsweep`` (G3) and
``bgscavenge`` (G4) and receives twice from a buffered ``chan int`` of
capacity 2 on which each sends before it parks; ``defaultGOMAXPROCSUpdateEnable``
starts ``updateMaxProcsGoroutine`` (G5) unless ``GODEBUG=updatemaxprocs=0``;
the os package's init starts the finalizer goroutine ``runfinq``
(``createfing``: os.NewFile sets a finalizer); ``unlockOSThread``; then
main.main on G1.  The model has no GC, so forcegchelper, bgsweep,
bgscavenge and runfinq park for good; the updater parks until sysmon
injects it.

>>> from gmpcore.startup import runtime_programs
>>> progs = runtime_programs(n_programs=1, main_entry=0, code_len=10, chan=0,
...                          updater=True, runtime_init=True)
>>> progs.names
('runtime.main', 'runtime.forcegchelper', 'runtime.bgsweep', 'runtime.bgscavenge', 'runtime.runfinq', 'runtime.updateMaxProcsGoroutine')
>>> progs.updater_program, progs.rt_program
(6, 1)
"""

from types import SimpleNamespace

import numpy as np

from gmpcore.events import (UPDATER_PROGRAM, WAIT_FINALIZER, WAIT_FORCEGC_IDLE, WAIT_GC_SCAVENGE,
                            WAIT_GC_SWEEP)
from gmpcore.reference.common import (
    OP_EXIT, OP_GO_SYS, OP_JUMP, OP_PARK_SYS, OP_RECV, OP_RT_LOCK, OP_RT_UNLOCK, OP_SEND,
    OP_UPDATE_DONE, OP_UPDATE_PARK, OP_UPDATE_PROCS,
)

RUNTIME_MAIN = "runtime.main"


def runtime_programs(n_programs, main_entry, code_len, chan, updater, runtime_init):
    """The programs to append after a workload's `n_programs` programs whose
    bytecode is `code_len` rows long (main's entry `main_entry`), using the
    extra channel `chan` (gcenable's, capacity 2) when `runtime_init`.

    Returns a namespace: ``code`` (rows to append), ``entries`` (their
    programs' first rows), ``names``, ``rt_program`` (runtime.main's index,
    -1 without runtime_init) and ``updater_program`` (-1 without one).
    `updater` is whether an updater program exists at all: with
    runtime_init, GODEBUG=updatemaxprocs (runtime.main starts it, parked);
    without, whether sysmon makes it when needed (then it runs once and exits).
    """
    rows, entries, names = [], [], []

    def program(name, *ops):
        entries.append(code_len + len(rows))
        names.append(name)
        for op in ops:
            rows.append(list(op) + [0] * (4 - len(op)))
        return n_programs + len(names) - 1

    rt_program = upd_program = -1
    if runtime_init:
        rt_program = n_programs
        first = n_programs + 1                   # forcegchelper, bgsweep, bgscavenge, runfinq
        upd = first + 4 if updater else -1
        program(RUNTIME_MAIN,
                (OP_RT_LOCK,),
                (OP_GO_SYS, first),               # proc.go's init: go forcegchelper()
                (OP_GO_SYS, first + 1),           # gcenable: go bgsweep(c); go bgscavenge(c)
                (OP_GO_SYS, first + 2),
                (OP_RECV, chan), (OP_RECV, chan),  # <-c; <-c
                *([(OP_GO_SYS, upd)] if updater else []),   # defaultGOMAXPROCSUpdateEnable
                (OP_GO_SYS, first + 3),           # os's init: createfing
                (OP_RT_UNLOCK,),
                (OP_JUMP, main_entry))            # main.main, on the same G
        # A parked G's pc is past its op: each program ends in an EXIT never
        # reached, so the pc stays in the program that names the G.
        program("runtime.forcegchelper", (OP_PARK_SYS, WAIT_FORCEGC_IDLE), (OP_EXIT,))
        program("runtime.bgsweep", (OP_SEND, chan), (OP_PARK_SYS, WAIT_GC_SWEEP), (OP_EXIT,))
        program("runtime.bgscavenge", (OP_SEND, chan), (OP_PARK_SYS, WAIT_GC_SCAVENGE),
                (OP_EXIT,))
        program("runtime.runfinq", (OP_PARK_SYS, WAIT_FINALIZER), (OP_EXIT,))
        if updater:
            start = code_len + len(rows)
            upd_program = program(UPDATER_PROGRAM, (OP_UPDATE_PARK,), (OP_UPDATE_PROCS,),
                                  (OP_JUMP, start), (OP_UPDATE_DONE,), (OP_EXIT,))
    elif updater:
        upd_program = program(UPDATER_PROGRAM, (OP_UPDATE_PROCS,), (OP_UPDATE_DONE,), (OP_EXIT,))
    return SimpleNamespace(code=np.array(rows, dtype=np.int64).reshape(-1, 4),
                           entries=np.array(entries, dtype=np.int64), names=tuple(names),
                           rt_program=rt_program, updater_program=upd_program)
