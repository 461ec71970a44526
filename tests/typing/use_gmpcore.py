# A user's script, type-checked by tests/test_typing.py with mypy: the lines
# marked "error" must be reported, the others must pass.
import gmpcore as gmp

wl = gmp.Workload()
wg = wl.waitgroup()
worker = wl.program(gmp.cpu("1us"), gmp.done(wg))
wl.main(gmp.add(wg, 10), gmp.go(worker, count=10), gmp.wait(wg))

res: gmp.Result = gmp.simulate(wl, gomaxprocs=4, seed=1, monitor="100us")
makespan: int = res.makespan_ns
p99: float = gmp.scheduling_latency(res).quantile(0.99)
row: dict = res.summary()

gmp.simulate(wl, gomaxprocs="two")  # error
gmp.simulate(wl, until="later")  # error
gmp.simulate(wl, engine="fast")  # error
gmp.simulate(wl, progress=3)  # error
