"""The event kinds of Go's execution-trace format (Go 1.22 and later).

Restated from Go's ``internal/trace/tracev2`` (events.go, spec.go) and
``internal/trace/version``: each wire event is one type byte followed by
unsigned LEB128 varints.  ``SPECS[t]`` says, for event type ``t``, its name,
its argument names (the first of a timed event is its time delta), which
arguments are string and stack IDs, whether it is "timed" (lives in a per-M
batch and passes through the ordering state machines) and the first trace
version that has it.

>>> from gmpcore.gotrace.events import SPECS, EV
>>> SPECS[EV["GoUnblock"]].args
('dt', 'g', 'g_seq', 'stack')
>>> SPECS[EV["GoUnblock"]].timed, SPECS[EV["GoUnblock"]].since
(True, 22)
"""

from typing import NamedTuple, Tuple


class Spec(NamedTuple):
    """One event type: its name and how its arguments read."""

    name: str
    args: Tuple[str, ...] = ()
    strings: Tuple[int, ...] = ()   # argument indices holding string IDs
    stacks: Tuple[int, ...] = ()    # argument indices holding stack IDs (main first)
    timed: bool = False
    has_data: bool = False          # a varint length and that many bytes follow
    is_stack: bool = False          # 4 varints per frame follow (pc, func, file, line)
    start: str = ""                 # for the end of a range: its begin event
    since: int = 22                 # first trace version (go 1.NN) emitting it
    experiment: int = 0


def _t(name, args, strings=(), stacks=(), start="", since=22, experiment=0):
    return Spec(name, tuple(args.split()), tuple(strings), tuple(stacks), True,
                start=start, since=since, experiment=experiment)


# Indexed by the wire type byte (tracev2 numbering; 0 is unused on the wire,
# and this package uses kind 0 for the Sync event that starts a generation).
_TABLE = [
    Spec("Sync"),
    Spec("EventBatch", ("gen", "m", "time", "size")),
    Spec("Stacks"),
    Spec("Stack", ("id", "nframes"), is_stack=True),
    Spec("Strings"),
    Spec("String", ("id",), has_data=True),
    Spec("CPUSamples"),
    Spec("CPUSample", ("time", "m", "p", "g", "stack"), stacks=(4,)),
    Spec("Frequency", ("freq",)),
    _t("ProcsChange", "dt procs_value stack", stacks=(2,)),
    _t("ProcStart", "dt p p_seq"),
    _t("ProcStop", "dt"),
    _t("ProcSteal", "dt p p_seq m"),
    _t("ProcStatus", "dt p pstatus"),
    _t("GoCreate", "dt new_g new_stack stack", stacks=(3, 2)),
    _t("GoCreateSyscall", "dt new_g"),
    _t("GoStart", "dt g g_seq"),
    _t("GoDestroy", "dt"),
    _t("GoDestroySyscall", "dt"),
    _t("GoStop", "dt reason_string stack", strings=(1,), stacks=(2,)),
    _t("GoBlock", "dt reason_string stack", strings=(1,), stacks=(2,)),
    _t("GoUnblock", "dt g g_seq stack", stacks=(3,)),
    _t("GoSyscallBegin", "dt p_seq stack", stacks=(2,)),
    _t("GoSyscallEnd", "dt", start="GoSyscallBegin"),
    _t("GoSyscallEndBlocked", "dt", start="GoSyscallBegin"),
    _t("GoStatus", "dt g m gstatus"),
    _t("STWBegin", "dt kind_string stack", strings=(1,), stacks=(2,)),
    _t("STWEnd", "dt", start="STWBegin"),
    _t("GCActive", "dt gc_seq", start="GCBegin"),
    _t("GCBegin", "dt gc_seq stack", stacks=(2,)),
    _t("GCEnd", "dt gc_seq", start="GCBegin"),
    _t("GCSweepActive", "dt p", start="GCSweepBegin"),
    _t("GCSweepBegin", "dt stack", stacks=(1,)),
    _t("GCSweepEnd", "dt swept_value reclaimed_value", start="GCSweepBegin"),
    _t("GCMarkAssistActive", "dt g", start="GCMarkAssistBegin"),
    _t("GCMarkAssistBegin", "dt stack", stacks=(1,)),
    _t("GCMarkAssistEnd", "dt", start="GCMarkAssistBegin"),
    _t("HeapAlloc", "dt heapalloc_value"),
    _t("HeapGoal", "dt heapgoal_value"),
    _t("GoLabel", "dt label_string", strings=(1,)),
    _t("UserTaskBegin", "dt task parent_task name_string stack", strings=(3,), stacks=(4,)),
    _t("UserTaskEnd", "dt task stack", stacks=(2,)),
    _t("UserRegionBegin", "dt task name_string stack", strings=(2,), stacks=(3,)),
    _t("UserRegionEnd", "dt task name_string stack", strings=(2,), stacks=(3,),
       start="UserRegionBegin"),
    _t("UserLog", "dt task key_string value_string stack", strings=(2, 3), stacks=(4,)),
    _t("GoSwitch", "dt g g_seq", since=23),
    _t("GoSwitchDestroy", "dt g g_seq", since=23),
    _t("GoCreateBlocked", "dt new_g new_stack stack", stacks=(3, 2), since=23),
    _t("GoStatusStack", "dt g m gstatus stack", stacks=(4,), since=23),
    Spec("ExperimentalBatch", ("exp", "gen", "m", "time"), has_data=True, since=23),
    Spec("Sync", since=25),             # wire type 50: start of a sync batch
    _t("ClockSnapshot", "dt mono sec nsec", since=25),
    Spec("EndOfGeneration", since=26),
]

#: Wire type of the first experimental event (tracev2.MaxEvent + 1).
FIRST_EXPERIMENTAL = 128
_EXPERIMENTAL = [
    _t("Span", "dt id npages_value kindclass", since=23, experiment=1),
    _t("SpanAlloc", "dt id npages_value kindclass", since=23, experiment=1),
    _t("SpanFree", "dt id", since=23, experiment=1),
    _t("HeapObject", "dt id type", since=23, experiment=1),
    _t("HeapObjectAlloc", "dt id type", since=23, experiment=1),
    _t("HeapObjectFree", "dt id", since=23, experiment=1),
    _t("GoroutineStack", "dt id order", since=23, experiment=1),
    _t("GoroutineStackAlloc", "dt id order", since=23, experiment=1),
    _t("GoroutineStackFree", "dt id", since=23, experiment=1),
]

#: All 256 type bytes; unused ones are ``Spec("")``.
SPECS = tuple(_TABLE + [Spec("")] * (FIRST_EXPERIMENTAL - len(_TABLE))
              + _EXPERIMENTAL + [Spec("")] * (256 - FIRST_EXPERIMENTAL - len(_EXPERIMENTAL)))

#: Event name -> type byte.  ``EV["Sync"]`` is 0, the kind this package
#: gives the Sync event it emits at each generation (wire type 50 is the
#: Go 1.25+ sync *batch* header and never appears in ``GoTrace.events``).
EV = {}
for _i, _s in enumerate(SPECS):
    if _s.name and _s.name not in EV:
        EV[_s.name] = _i

#: Trace versions this package reads (``go 1.NN trace`` headers).
VERSIONS = (22, 23, 25, 26)


def version_limit(version):
    """One past the last non-experimental wire type ``go 1.<version>`` emits.

    >>> version_limit(22), version_limit(26)
    (45, 53)
    """
    return {22: EV["UserLog"] + 1, 23: EV["ExperimentalBatch"] + 1,
            25: EV["ClockSnapshot"] + 1}.get(version, len(_TABLE))


#: Goroutine states of ``GoTrace.events['from_state'/'to_state']`` for
#: goroutine transitions (Go's trace.GoState numbering).
GO_STATES = ("Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall")
#: Proc states of the same columns for proc transitions (trace.ProcState).
PROC_STATES = ("Undetermined", "NotExist", "Running", "Idle")

# The wire's goroutine/proc status numbers (tracev2.GoStatus/ProcStatus).
GO_BAD, GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING = range(5)
PROC_BAD, PROC_RUNNING, PROC_IDLE, PROC_SYSCALL, PROC_SYSCALL_ABANDONED = range(5)
