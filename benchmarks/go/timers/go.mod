module gmpcore/benchmarks/go/timers

go 1.25
