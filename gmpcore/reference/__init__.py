"""Pure-Python reference models: small, readable oracles for the compiled core."""

from gmpcore.reference.runq import RefOp, RefSched, cheaprand_stream

__all__ = ["RefOp", "RefSched", "cheaprand_stream"]
