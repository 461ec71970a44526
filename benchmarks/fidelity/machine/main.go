// Command machine measures how the real Go runtime behaves on the machine
// under it: few CPUs, a competing load, a CPU quota, GOMAXPROCS changed at run
// time, locked OS threads.  One workload per process, one line of JSON out;
// run.py (next to it) runs them under taskset, next to CPU hogs, and in a CPU
// cgroup, and gathers the numbers.
//
//	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -workload fanout -procs 4
//
// Workloads:
//
//	info      nothing: report runtime.GOMAXPROCS(0) (the default unless -procs
//	          is given) and runtime.NumCPU().
//	fanout    main starts -n goroutines (1000), each spins -work (1ms) of CPU
//	          (a calibrated iteration count, so CPU taken away by the OS does
//	          not shorten the work), then wg.Done; main waits.  With
//	          -change-after D -change-to K, main calls runtime.GOMAXPROCS(K)
//	          D after the start (the fan-out keeps running).
//	sleep     one goroutine calls time.Sleep(-sleep, 100µs) -n times (2000) and
//	          records each oversleep (time.Since − requested).
//	chain     -g goroutines (8) in a ring pass a token over unbuffered
//	          channels, -rounds times round the ring (20000); ns per hand-off.
//	setprocs  -calls calls (2000) of runtime.GOMAXPROCS alternating between
//	          -procs and -change-to (each a stop-the-world and procresize);
//	          -busy goroutines (0) spin meanwhile, so each STW must preempt them.
//	lockpp    ping-pong over unbuffered channels, -rounds round trips (50000);
//	          -locked 0, 1 or 2 of the two goroutines call LockOSThread first
//	          (a locked G that blocks hands its P off and its M sleeps; waking
//	          it needs that very M: startlockedm/stoplockedm).
//	watch     poll runtime.GOMAXPROCS(0) every 5 ms for -for (3s) and report
//	          each change with its time (run.py changes the CPU affinity from
//	          outside meanwhile: Go 1.25+ re-derives the default, updatemaxprocs).
//	lockexit  -g goroutines (8) each LockOSThread and block; threads counted;
//	          then they exit while still locked (-unlock: unlock first) and
//	          threads are counted again (a locked G exiting kills its thread).
//
// Every record has wall_ns, cpu_ns, context switches, /proc/self/status
// Threads (now and at the end), the threadcreate profile count, and
// /sched/latencies p50/p99 (linear inside a bucket) over the workload.
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
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// spin does iters rounds of xorshift64: pure CPU, no calls (only asynchronous
// preemption stops it).
func spin(iters int) {
	x := uint64(iters) | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 {
		println("unreachable")
	}
}

// calibrate returns spin's iterations per µs, the fastest of 25 timed runs.
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

// threads is /proc/self/status's Threads: the process's live OS threads.
func threads() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, ln := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(ln, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(ln[8:]))
			return n
		}
	}
	return -1
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

func cpuNs(ru syscall.Rusage) int64 { return ru.Utime.Nano() + ru.Stime.Nano() }

func schedLat() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// quantile of the difference of two histograms, linear inside a bucket (an
// infinite edge is replaced by the finite one), in ns.
func quantile(h0, h1 *metrics.Float64Histogram, q float64) float64 {
	var total uint64
	c := make([]uint64, len(h1.Counts))
	for i := range c {
		c[i] = h1.Counts[i] - h0.Counts[i]
		total += c[i]
	}
	if total == 0 {
		return math.NaN()
	}
	want := q * float64(total)
	var acc float64
	for i, n := range c {
		if n == 0 {
			continue
		}
		if acc+float64(n) >= want {
			lo, hi := h1.Buckets[i], h1.Buckets[i+1]
			if math.IsInf(lo, -1) {
				lo = hi
			}
			if math.IsInf(hi, 1) {
				hi = lo
			}
			return 1e9 * (lo + (hi-lo)*(want-acc)/float64(n))
		}
		acc += float64(n)
	}
	return math.NaN()
}

func pct(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(math.Min(float64(len(s)-1), math.Floor(q*float64(len(s)))))]
}

func main() {
	workload := flag.String("workload", "fanout", "info, fanout, sleep, chain, setprocs, lockpp, lockexit")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: Go's default)")
	n := flag.Int("n", 0, "fanout: goroutines (1000); sleep: sleeps (2000)")
	work := flag.Duration("work", time.Millisecond, "fanout: CPU per goroutine")
	changeAfter := flag.Duration("change-after", 0, "fanout: call GOMAXPROCS(-change-to) this long after the start")
	changeTo := flag.Int("change-to", 1, "fanout, setprocs: the other GOMAXPROCS")
	sleep := flag.Duration("sleep", 100*time.Microsecond, "sleep: requested sleep")
	g := flag.Int("g", 8, "chain: goroutines in the ring; lockexit: locked goroutines")
	rounds := flag.Int("rounds", 0, "chain (20000), lockpp (50000): rounds")
	calls := flag.Int("calls", 2000, "setprocs: GOMAXPROCS calls")
	busy := flag.Int("busy", 0, "setprocs: spinning goroutines meanwhile")
	locked := flag.Int("locked", 0, "lockpp: how many of the two goroutines are locked (0-2)")
	watchFor := flag.Duration("for", 3*time.Second, "watch: how long")
	unlock := flag.Bool("unlock", false, "lockexit: UnlockOSThread before exiting")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	startProcs := runtime.GOMAXPROCS(0)
	out := map[string]any{
		"workload": *workload, "go_version": runtime.Version(), "gomaxprocs": startProcs,
		"num_cpu": runtime.NumCPU(), "godebug": os.Getenv("GODEBUG"),
	}
	if *workload == "info" {
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
		return
	}
	perUs := calibrate()
	debug.SetGCPercent(-1) // no GC during the workload
	runtime.GC()
	out["spin_iters_per_us"] = perUs
	out["threads_before"] = threads()

	ru0 := rusage()
	h0 := schedLat()
	t0 := time.Now()
	switch *workload {
	case "fanout":
		if *n == 0 {
			*n = 1000
		}
		iters := int(math.Round(perUs * float64(work.Nanoseconds()) / 1000))
		var wg sync.WaitGroup
		wg.Add(*n)
		if *changeAfter > 0 {
			go func() {
				time.Sleep(*changeAfter)
				c0 := time.Now()
				runtime.GOMAXPROCS(*changeTo)
				out["change_call_ns"] = time.Since(c0).Nanoseconds()
				out["changed_at_ns"] = time.Since(t0).Nanoseconds()
			}()
		}
		for i := 0; i < *n; i++ {
			go func() {
				spin(iters)
				wg.Done()
			}()
		}
		wg.Wait()
		out["n"], out["work_ns"] = *n, work.Nanoseconds()
	case "sleep":
		if *n == 0 {
			*n = 2000
		}
		over := make([]float64, *n)
		done := make(chan bool)
		go func() {
			for i := range over {
				s := time.Now()
				time.Sleep(*sleep)
				over[i] = float64(time.Since(s).Nanoseconds() - sleep.Nanoseconds())
			}
			done <- true
		}()
		<-done
		var sum float64
		for _, v := range over {
			sum += v
		}
		out["sleep_ns"], out["n"] = sleep.Nanoseconds(), *n
		out["oversleep_ns"] = map[string]float64{"p50": pct(over, .5), "p90": pct(over, .9),
			"p99": pct(over, .99), "max": pct(over, 1), "mean": sum / float64(len(over))}
	case "chain":
		if *rounds == 0 {
			*rounds = 20000
		}
		ch := make([]chan int, *g)
		for i := range ch {
			ch[i] = make(chan int) // unbuffered
		}
		var wg sync.WaitGroup
		wg.Add(*g)
		for i := 0; i < *g; i++ {
			go func(i int) {
				defer wg.Done()
				in, next := ch[i], ch[(i+1)%*g]
				for r := 0; r < *rounds; r++ {
					if i == 0 {
						next <- r
						<-in
					} else {
						v := <-in
						next <- v
					}
				}
			}(i)
		}
		wg.Wait()
		out["g"], out["rounds"] = *g, *rounds
	case "setprocs":
		stop := make(chan bool)
		iters := int(math.Round(perUs * 50))
		for i := 0; i < *busy; i++ {
			go func() {
				for {
					select {
					case <-stop:
						return
					default:
						spin(iters)
					}
				}
			}()
		}
		time.Sleep(10 * time.Millisecond)
		a, b := startProcs, *changeTo
		c0 := time.Now()
		for i := 0; i < *calls; i++ {
			if i%2 == 0 {
				runtime.GOMAXPROCS(b)
			} else {
				runtime.GOMAXPROCS(a)
			}
		}
		d := time.Since(c0)
		t := time.Now()
		for i := 0; i < *calls; i++ {
			runtime.GOMAXPROCS(0) // a query: no stop-the-world
		}
		out["query_ns_per_call"] = float64(time.Since(t).Nanoseconds()) / float64(*calls)
		close(stop)
		out["calls"], out["busy"], out["change_to"] = *calls, *busy, *changeTo
		out["ns_per_call"] = float64(d.Nanoseconds()) / float64(*calls)
	case "lockpp":
		if *rounds == 0 {
			*rounds = 50000
		}
		ping, pong := make(chan int), make(chan int)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			if *locked >= 1 {
				runtime.LockOSThread()
			}
			for i := 0; i < *rounds; i++ {
				ping <- i
				<-pong
			}
			wg.Done()
		}()
		go func() {
			if *locked >= 2 {
				runtime.LockOSThread()
			}
			for i := 0; i < *rounds; i++ {
				<-ping
				pong <- i
			}
			wg.Done()
		}()
		wg.Wait()
		out["rounds"], out["locked"] = *rounds, *locked
	case "watch":
		type change struct {
			AtMs       float64 `json:"at_ms"`
			Gomaxprocs int     `json:"gomaxprocs"`
			NumCPU     int     `json:"num_cpu"`
		}
		var seen []change
		last := startProcs
		fmt.Fprintln(os.Stderr, "watching") // run.py acts once it reads this
		for time.Since(t0) < *watchFor {
			if p := runtime.GOMAXPROCS(0); p != last {
				seen = append(seen, change{float64(time.Since(t0).Microseconds()) / 1000, p, runtime.NumCPU()})
				last = p
			}
			time.Sleep(5 * time.Millisecond)
		}
		out["changes"] = seen
		if len(seen) > 0 {
			out["first_change_ms"] = seen[0].AtMs
		}
	case "lockexit":
		release := make(chan bool)
		var ready, wg sync.WaitGroup
		ready.Add(*g)
		wg.Add(*g)
		for i := 0; i < *g; i++ {
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				ready.Done()
				<-release
				if *unlock {
					runtime.UnlockOSThread()
				}
			}()
		}
		ready.Wait()
		time.Sleep(20 * time.Millisecond)
		out["threads_locked"] = threads()
		close(release)
		wg.Wait()
		time.Sleep(50 * time.Millisecond) // let exiting Ms finish
		out["threads_after_exit"] = threads()
		out["g"], out["unlock"] = *g, *unlock
	default:
		fmt.Fprintf(os.Stderr, "machine: unknown workload %q\n", *workload)
		os.Exit(2)
	}
	wall := time.Since(t0)
	h1 := schedLat()
	ru1 := rusage()
	out["wall_ns"], out["cpu_ns"] = wall.Nanoseconds(), cpuNs(ru1)-cpuNs(ru0)
	out["involuntary_ctxsw"], out["voluntary_ctxsw"] = ru1.Nivcsw-ru0.Nivcsw, ru1.Nvcsw-ru0.Nvcsw
	out["threads_end"] = threads()
	out["threadcreate"] = pprof.Lookup("threadcreate").Count()
	out["gomaxprocs_end"] = runtime.GOMAXPROCS(0)
	p50, p99 := quantile(h0, h1, .5), quantile(h0, h1, .99)
	if !math.IsNaN(p50) {
		out["schedlat_p50_ns"], out["schedlat_p99_ns"] = p50, p99
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
}
