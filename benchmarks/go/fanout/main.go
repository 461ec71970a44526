// Command fanout runs gmpcore's fan-out benchmark workload on the real Go
// runtime: main spawns N goroutines, each spins for about 1µs of CPU and calls
// wg.Done; main waits on the WaitGroup.  It prints the best of -reps runs as
// goroutines per second (benchmarks/side_by_side.py reads the last line).
//
//	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -n 1000000 -procs 2
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

// spin burns CPU until d has passed on the monotonic clock: a calibrated loop
// would drift with frequency scaling, and time.Now costs only tens of ns.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

func fanout(n int, work time.Duration) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			spin(work)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func main() {
	n := flag.Int("n", 1_000_000, "goroutines to spawn")
	work := flag.Duration("work", time.Microsecond, "CPU each goroutine spins for")
	reps := flag.Int("reps", 5, "runs; the best is reported")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: leave the runtime's default)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	fanout(min(*n, 10_000), *work) // warm up: grow the heap, start the Ms
	walls := make([]float64, 0, *reps)
	for r := 0; r < *reps; r++ {
		runtime.GC()
		walls = append(walls, fanout(*n, *work).Seconds())
	}
	sort.Float64s(walls)
	best, median := walls[0], walls[len(walls)/2]
	fmt.Fprintf(os.Stderr, "%s GOMAXPROCS=%d NumCPU=%d n=%d best %.4fs median %.4fs\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), *n, best, median)
	out, _ := json.Marshal(map[string]any{
		"go_version": runtime.Version(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"num_cpu": runtime.NumCPU(), "goroutines": *n, "work_ns": work.Nanoseconds(),
		"best_s": best, "median_s": median,
		"goroutines_per_second": float64(*n) / best,
	})
	fmt.Println(string(out))
}
