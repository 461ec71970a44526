"""Scheduling policies as data: Go's scheduler's tunable choices in one value.

:class:`Policy` holds the choices Go's runtime makes by constant or by rule
(run-queue size, steal amount, the 1-in-61 global-queue check, runnext,
the spinning limit, the time slice, sysmon's sleep, the wake-up rule), with
Go 1.25's values as defaults, plus knobs Go does not have (a Tokio-style
limit on runnext hand-offs).  ``simulate(..., policy=...)`` runs both
engines under it; docs/policy.md gives every knob and Go's source for its
default.  The defaults are the model's constants (gmpcore.model), defined
once in gmpcore/_model.pxd.

>>> from gmpcore.policy import Policy
>>> p = Policy()
>>> p.runq_size, p.steal, p.global_check_interval, p.time_slice
(256, 'half', 61, 10000000)
>>> Policy(time_slice="2ms").time_slice
2000000
>>> Policy.go1_4().runnext, Policy.go1_4().async_preempt
(False, False)
>>> Policy(runq_size=300)
Traceback (most recent call last):
    ...
ValueError: Policy.runq_size must be an int in [1, 256], got 300
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from gmpcore import model
from gmpcore._sched import RUNQ_CAPACITY
from gmpcore.durations import duration_ns

__all__ = ["Policy", "PRESETS", "STEAL_RULES", "WAKEUP_RULES"]

#: How much of a victim's ring a thief takes, n being the ring's length:
#: "half" is Go's n - n/2 (half rounded up, runqgrab); "half_down" n/2
#: (a thief never takes a lone G); "one" a single G; "all" the whole ring.
STEAL_RULES = ("half", "half_down", "one", "all")

#: When a readied G wakes an idle P: "go" starts a spinning M only if there
#: is an idle P and no M spins (wakep); "eager" whenever there is an idle P.
WAKEUP_RULES = ("go", "eager")

_MAX_DURATION = 10**12          # 1000 s
_MAX_COUNT = 2**31 - 1


def _int_field(name: str, v: Any, lo: int, hi: int, what: str = "an int") -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        try:
            import numpy as np
            if isinstance(v, np.integer) and not isinstance(v, np.bool_):
                v = int(v)
            else:
                raise TypeError
        except TypeError:
            raise TypeError(f"Policy.{name} must be {what}, got {type(v).__name__}") from None
    if not lo <= v <= hi:
        raise ValueError(f"Policy.{name} must be {what} in [{lo}, {hi}], got {v}")
    return v


@dataclasses.dataclass(frozen=True)
class Policy:
    """A scheduling policy; the defaults are Go 1.25's.

    Every field is checked when the Policy is made (a clear error names the
    field and its allowed range).  Durations are ns, or strings such as
    ``"2ms"`` (gmpcore.durations).

    >>> Policy(steal="one", spin_factor=0).steal
    'one'
    >>> Policy(steal="third")
    Traceback (most recent call last):
        ...
    ValueError: Policy.steal must be one of ('half', 'half_down', 'one', 'all'), got 'third'
    >>> Policy(sysmon_min_delay="1ms", sysmon_max_delay="100us")
    Traceback (most recent call last):
        ...
    ValueError: Policy.sysmon_max_delay must be >= sysmon_min_delay (1000000 ns), got 100000
    """

    runq_size: int = RUNQ_CAPACITY
    """A P's local run queue's capacity, 1..256 (Go: ``runq [256]guintptr``).
    The ring stays 256 slots; a full queue (this many Gs) spills half of
    them and the new G to the global queue (runqputslow)."""
    steal: str = "half"
    """How much a thief takes from a victim's ring (:data:`STEAL_RULES`);
    Go's runqgrab takes ``n - n/2``."""
    global_check_interval: int = model.GLOBAL_CHECK_PERIOD
    """findRunnable takes one G from the global queue first when
    ``schedtick % interval == 0`` (Go: 61); 0 never does."""
    global_batch: int = 0
    """The most Gs one globrunqget takes into an empty local queue (the
    first runs): ``min(len, len/GOMAXPROCS + 1, batch)``; 0 is Go's rule,
    half the local queue (``len(pp.runq)/2``, at least 1)."""
    runnext: bool = True
    """A readied or new G goes to its P's runnext slot (Go >= 1.5); False
    puts it at the tail of the ring."""
    runnext_inherit: bool = True
    """A G taken from runnext shares the time slice of the G before it
    (runqget's inheritTime); False gives it a new slice (schedtick grows,
    so a ping-pong pair is never preempted)."""
    lifo_limit: int = 0
    """Tokio's LIFO-slot limit: after this many consecutive Gs run from a
    P's runnext, readied Gs go to the tail until a G runs with a new time
    slice; 0 is Go's (no limit)."""
    spin_factor: int = 2
    """An M may start spinning when ``spin_factor * nmspinning < GOMAXPROCS
    - npidle`` (Go: 2, findRunnable); 0 lets every M spin."""
    wakeup: str = "go"
    """Which readies wake an idle P (:data:`WAKEUP_RULES`)."""
    time_slice: int = model.FORCE_PREEMPT_NS
    """sysmon preempts a G that has run this long (forcePreemptNS, 10 ms);
    1 µs .. 1000 s."""
    sysmon_min_delay: int = model.SYSMON_MIN_DELAY
    """sysmon's sleep while it finds work to do (usleep(20), 20 µs)."""
    sysmon_max_delay: int = model.SYSMON_MAX_DELAY
    """The longest sleep its back-off reaches (10 ms)."""
    sysmon_idle_cycles: int = model.SYSMON_IDLE_CYCLES
    """Idle sysmon cycles before its sleep starts doubling (50)."""
    async_preempt: bool = True
    """Signal-based preemption (Go >= 1.14): False leaves a G in a CPU burst
    without calls running until the burst ends.  ``simulate``'s own
    ``async_preempt=False`` turns it off as well."""

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "runq_size", _int_field("runq_size", self.runq_size, 1, RUNQ_CAPACITY))
        if self.steal not in STEAL_RULES:
            raise ValueError(f"Policy.steal must be one of {STEAL_RULES}, got {self.steal!r}")
        if self.wakeup not in WAKEUP_RULES:
            raise ValueError(f"Policy.wakeup must be one of {WAKEUP_RULES}, got {self.wakeup!r}")
        put(self, "global_check_interval",
            _int_field("global_check_interval", self.global_check_interval, 0, _MAX_COUNT))
        put(self, "global_batch", _int_field("global_batch", self.global_batch, 0, self.runq_size))
        put(self, "lifo_limit", _int_field("lifo_limit", self.lifo_limit, 0, _MAX_COUNT))
        put(self, "spin_factor", _int_field("spin_factor", self.spin_factor, 0, 1 << 20))
        put(self, "sysmon_idle_cycles",
            _int_field("sysmon_idle_cycles", self.sysmon_idle_cycles, 0, 10**6))
        for name in ("runnext", "runnext_inherit", "async_preempt"):
            v = getattr(self, name)
            if not isinstance(v, bool):
                try:
                    import numpy as np
                    ok = isinstance(v, np.bool_)
                except ImportError:      # pragma: no cover
                    ok = False
                if not ok:
                    raise TypeError(f"Policy.{name} must be a bool, got {type(v).__name__}")
                put(self, name, bool(v))
        for name in ("time_slice", "sysmon_min_delay", "sysmon_max_delay"):
            v = duration_ns(getattr(self, name), f"Policy.{name}")
            if not 1000 <= v <= _MAX_DURATION:
                raise ValueError(f"Policy.{name} must be in [1 µs, 1000 s], got {v} ns")
            put(self, name, v)
        if self.sysmon_max_delay < self.sysmon_min_delay:
            raise ValueError(f"Policy.sysmon_max_delay must be >= sysmon_min_delay "
                             f"({self.sysmon_min_delay} ns), got {self.sysmon_max_delay}")

    # ---- derived values the engines use

    @property
    def batch_max(self) -> int:
        """globrunqget's cap on a batch: ``global_batch``, or Go's half the
        local queue (at least 1).

        >>> Policy().batch_max, Policy(runq_size=1).batch_max, Policy(global_batch=5).batch_max
        (128, 1, 5)
        """
        return self.global_batch or max(1, self.runq_size // 2)

    def replace(self, **changes: Any) -> Policy:
        """A copy with some fields changed (checked again).

        >>> Policy().replace(spin_factor=1).spin_factor
        1
        """
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The fields by name.

        >>> Policy().as_dict()["runq_size"]
        256
        """
        return dataclasses.asdict(self)

    def changes(self) -> dict[str, Any]:
        """The fields that differ from Go 1.25's (the default).

        >>> Policy.go1_4().changes()
        {'runnext': False, 'async_preempt': False}
        """
        base = Policy()
        return {k: v for k, v in self.as_dict().items() if getattr(base, k) != v}

    # ---- presets: Go releases whose scheduler differs by policy only

    @classmethod
    def go1_25(cls) -> Policy:
        """Go 1.25's scheduler, the default.

        >>> Policy.go1_25() == Policy()
        True
        """
        return cls()

    @classmethod
    def go1_13(cls) -> Policy:
        """Go 1.5 to 1.13: runnext, but no asynchronous preemption (Go 1.14
        added it): a G in a CPU burst without calls runs until the burst ends.

        >>> Policy.go1_13().async_preempt
        False
        """
        return cls(async_preempt=False)

    @classmethod
    def go1_4(cls) -> Policy:
        """Go 1.3 and 1.4: no runnext (Go 1.5 added it), no asynchronous
        preemption; the 256-slot rings, half-steal, 1-in-61 check, spinning
        rule and sysmon were already Go's.

        >>> Policy.go1_4().changes()
        {'runnext': False, 'async_preempt': False}
        """
        return cls(runnext=False, async_preempt=False)

    @classmethod
    def preset(cls, name: str) -> Policy:
        """A preset by name (:data:`PRESETS`).

        >>> Policy.preset("go1.13") == Policy.go1_13()
        True
        """
        try:
            return PRESETS[name]()
        except KeyError:
            raise ValueError(f"unknown policy preset {name!r}; presets: "
                             f"{', '.join(PRESETS)}") from None

    # ---- files

    @classmethod
    def load(cls, path: str | os.PathLike) -> Policy:
        """Read a policy from a TOML file (fields left out keep Go's values).

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "p.toml")
        >>> Policy(steal="one", time_slice="2ms").save(path)
        >>> Policy.load(path) == Policy(steal="one", time_slice=2_000_000)
        True
        """
        try:
            import tomllib
        except ModuleNotFoundError:        # Python < 3.11
            import tomli as tomllib        # type: ignore[no-redef]
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{os.fspath(path)}: not a valid TOML policy file: {exc}") from None
        doc = doc.get("policy", doc)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(doc) - names)
        if unknown:
            raise ValueError(f"{os.fspath(path)}: unknown policy fields {unknown}; "
                             f"fields: {sorted(names)}")
        return cls(**doc)

    def save(self, path: str | os.PathLike) -> None:
        """Write the policy as TOML (every field, durations in ns)."""
        lines = ["[policy]"]
        for k, v in self.as_dict().items():
            if isinstance(v, bool):
                lines.append(f"{k} = {'true' if v else 'false'}")
            elif isinstance(v, str):
                lines.append(f'{k} = "{v}"')
            else:
                lines.append(f"{k} = {v}")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


#: Named presets, for ``simulate(policy="go1.4")`` and ``gmpcore run --policy``.
PRESETS = {"go1.25": Policy.go1_25, "go1.13": Policy.go1_13, "go1.4": Policy.go1_4}


def as_policy(policy: Policy | str | os.PathLike | None, where: str = "policy") -> Policy:
    """A Policy from simulate's argument: a Policy, a preset's name, a TOML
    file's path, or None (Go 1.25's).

    >>> as_policy("go1.4") == Policy.go1_4(), as_policy(None) == Policy()
    (True, True)
    """
    if policy is None:
        return Policy()
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str) and policy in PRESETS:
        return PRESETS[policy]()
    if isinstance(policy, (str, os.PathLike)):
        if os.path.exists(policy):
            return Policy.load(policy)
        raise ValueError(f"{where} must be a Policy, a preset ({', '.join(PRESETS)}) or a "
                         f"policy file's path, got {policy!r}")
    raise TypeError(f"{where} must be a gmpcore.Policy, a preset name or a path, "
                    f"got {type(policy).__name__}")
