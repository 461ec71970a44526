"""The cost model with every runtime cost zero but those named: the setting
in which the known-answer tests derive their expected times by hand; and the
run and event-log helpers those tests share."""

import gmpcore as gmp
from gmpcore.costs import FIELDS


def zero_costs(**nonzero):
    """{field: 0 for every CostModel field}, updated with `nonzero`."""
    costs = {f: 0 for f in FIELDS}
    costs.update(nonzero)
    return costs


def run_exact(wl, engine, costs, **opts):
    """A checked, logged run with every cost exactly its value (noise=False)
    and main alone at the start (runtime_init=False), as the known answers
    are derived."""
    opts.setdefault("noise", False)
    opts.setdefault("runtime_init", False)
    return gmp.simulate(wl, engine=engine, costs=costs, check=True, record_events=True, **opts)


def events(res, kind, g=None, arg=None):
    """The log's rows of `kind`, for G index `g` and with `arg` if given."""
    ev = res.events[res.events["kind"] == kind]
    if g is not None:
        ev = ev[ev["g"] == g]
    if arg is not None:
        ev = ev[ev["arg"] == arg]
    return ev
