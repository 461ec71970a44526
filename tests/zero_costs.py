"""The cost model with every runtime cost zero but those named: the setting
in which the known-answer tests derive their expected times by hand."""

from gmpcore.costs import FIELDS


def zero_costs(**nonzero):
    """{field: 0 for every CostModel field}, updated with `nonzero`."""
    costs = {f: 0 for f in FIELDS}
    costs.update(nonzero)
    return costs
