// Command schedlat runs one small workload on the real Go runtime and prints
// the workload's share of runtime/metrics "/sched/latencies:seconds" as one
// line of JSON (run.py, next to it, reads it and compares it with gmpcore).
//
//	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -workload fanout
//
// Workloads (each the same program as run.py's gmpcore workload of that name):
//
//	fanout    main starts -n goroutines (10000), each spins -work (10µs) of
//	          CPU and calls wg.Done; main waits on the WaitGroup.
//	pool      -workers goroutines (8) each take -jobs/-workers jobs (20000/8)
//	          from an unbuffered channel main sends on, spin -work (5µs) per
//	          job and call wg.Done per job; main waits.  (gmpcore has no
//	          close, so each worker takes a fixed share instead of ranging.)
//	pingpong  two goroutines pass a token over two unbuffered channels,
//	          -rounds round trips (100000), no other work; main waits.
//
// Only the workload is measured: the histogram is read just before main
// starts it and just after it ends, and the difference is printed.  The
// process runs one workload, cold (no warm-up: the simulator starts from a
// cold runtime too), with the garbage collector off during the workload
// (gmpcore models no GC; -gc keeps it on).  The CPU work is a spin loop of a
// fixed iteration count calibrated at start-up, so a goroutine the OS takes
// its CPU from still does the same work (a loop on the clock would not).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// spin does iters rounds of xorshift64: about iters × 1-2 ns of pure CPU,
// no memory traffic, no calls (so only asynchronous preemption stops it).
func spin(iters int) {
	x := uint64(iters) | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 { // never: xorshift of a non-zero word is non-zero
		println("unreachable")
	}
}

// calibrate returns spin's iterations per microsecond: the fastest of several
// timed runs, so a busy neighbour during calibration slows nothing down later.
func calibrate() float64 {
	const iters = 200_000
	best := math.Inf(1)
	for r := 0; r < 25; r++ {
		t0 := time.Now()
		spin(iters)
		if d := float64(time.Since(t0).Nanoseconds()); d < best {
			best = d
		}
	}
	return iters / (best / 1000)
}

func fanout(n, iters int) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			spin(iters)
			wg.Done()
		}()
	}
	wg.Wait()
}

func pool(jobs, workers, iters int) {
	var wg sync.WaitGroup
	queue := make(chan int) // unbuffered
	wg.Add(jobs)
	for w := 0; w < workers; w++ {
		go func() {
			for j := 0; j < jobs/workers; j++ {
				<-queue
				spin(iters)
				wg.Done()
			}
		}()
	}
	for j := 0; j < jobs; j++ {
		queue <- j
	}
	wg.Wait()
}

func pingpong(rounds int) {
	var wg sync.WaitGroup
	ping, pong := make(chan int), make(chan int) // unbuffered
	wg.Add(2)
	go func() {
		for i := 0; i < rounds; i++ {
			ping <- i
			<-pong
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < rounds; i++ {
			<-ping
			pong <- i
		}
		wg.Done()
	}()
	wg.Wait()
}

var names = []string{
	"/sched/latencies:seconds",
	"/gc/cycles/total:gc-cycles",
	"/sched/threads/total:threads",
}

func read() []metrics.Sample {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	return s
}

func uint64Of(v metrics.Value) any {
	if v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return nil
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

func cpuNs(ru syscall.Rusage) int64 { return ru.Utime.Nano() + ru.Stime.Nano() }

// alwaysTrack, when alltrack.go is built in, makes the runtime track every episode.
var alwaysTrack func()

func main() {
	workload := flag.String("workload", "fanout", "fanout, pool or pingpong")
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	n := flag.Int("n", 10_000, "fanout: goroutines")
	jobs := flag.Int("jobs", 20_000, "pool: jobs (a multiple of -workers)")
	workers := flag.Int("workers", 8, "pool: workers")
	rounds := flag.Int("rounds", 100_000, "pingpong: round trips")
	work := flag.Duration("work", 0, "CPU per goroutine (fanout, default 10µs) or job (pool, default 5µs)")
	gc := flag.Bool("gc", false, "keep the garbage collector on during the workload")
	flag.Parse()
	if *work == 0 {
		*work = map[string]time.Duration{"fanout": 10 * time.Microsecond, "pool": 5 * time.Microsecond}[*workload]
	}
	if *jobs%*workers != 0 {
		fmt.Fprintln(os.Stderr, "schedlat: -jobs must be a multiple of -workers")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*procs)
	perUs := calibrate()
	iters := int(math.Round(perUs * float64(work.Nanoseconds()) / 1000))
	if !*gc {
		debug.SetGCPercent(-1)
	}
	runtime.GC()
	if alwaysTrack != nil {
		alwaysTrack()
	}

	ru0 := rusage()
	before := read()
	t0 := time.Now()
	switch *workload {
	case "fanout":
		fanout(*n, iters)
	case "pool":
		pool(*jobs, *workers, iters)
	case "pingpong":
		pingpong(*rounds)
	default:
		fmt.Fprintf(os.Stderr, "schedlat: unknown workload %q\n", *workload)
		os.Exit(2)
	}
	wall := time.Since(t0)
	after := read()
	ru1 := rusage()

	h0, h1 := before[0].Value.Float64Histogram(), after[0].Value.Float64Histogram()
	counts := make([]uint64, len(h1.Counts))
	var total uint64
	for i := range counts {
		counts[i] = h1.Counts[i] - h0.Counts[i]
		total += counts[i]
	}
	buckets := make([]any, len(h1.Buckets)) // JSON has no infinities: null
	for i, b := range h1.Buckets {
		if !math.IsInf(b, 0) {
			buckets[i] = b
		}
	}
	gcs := any(nil)
	if a, b := uint64Of(before[1].Value), uint64Of(after[1].Value); a != nil && b != nil {
		gcs = b.(uint64) - a.(uint64)
	}
	out, err := json.Marshal(map[string]any{
		"workload": *workload, "go_version": runtime.Version(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"num_cpu": runtime.NumCPU(), "n": *n, "jobs": *jobs, "workers": *workers, "rounds": *rounds,
		"work_ns": work.Nanoseconds(), "spin_iters": iters, "spin_iters_per_us": perUs,
		"gc_on": *gc, "all_tracked": alwaysTrack != nil, "gc_cycles": gcs, "threads": uint64Of(after[2].Value),
		"wall_ns": wall.Nanoseconds(), "cpu_ns": cpuNs(ru1) - cpuNs(ru0),
		"involuntary_ctxsw": ru1.Nivcsw - ru0.Nivcsw, "voluntary_ctxsw": ru1.Nvcsw - ru0.Nvcsw,
		"count": total, "counts": counts, "buckets": buckets,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
}
