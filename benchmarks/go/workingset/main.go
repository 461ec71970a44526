// State-dependent costs of gmpcore (docs/cost-model.md, "Costs that depend on
// state"), each as a function of how many goroutines are in play, GOMAXPROCS=1:
//
//	once:   (-once N) the same in a new process, each run its own sample.
//	fresh:  `go f()` when no free G exists (malg: a new g and its 2 KiB stack,
//	        whose pages are touched for the first time): N goroutines created
//	        that all stay blocked to the end, so none is ever freed; ns per `go`.
//	reuse:  `go f()` taking a G from the free list (gfget), for contrast:
//	        batches of 200 goroutines created, run and exited.
//	ring:   a token passed around a ring of N goroutines over unbuffered
//	        channels; ns per hop (send + switch + receive).  Small rings stay
//	        in cache; large ones miss on each G's stack, g and channel.
//	fanout: N goroutines of ~1 µs of CPU each, created by main, WaitGroup;
//	        ns per goroutine beyond the work.
//
// Each figure is the median of -reps trials (min and max beside it), in
// process CPU time (getrusage), so that other processes on a shared machine
// do not inflate it (they still share the caches).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cpuNow is the process's CPU time (user + system, all threads): on a shared
// machine, time other processes take from us does not count.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var sink uint64

// spin burns about d of CPU (calibrated once).
var loopsPerUS float64

func burn(loops int) {
	x := uint64(1)
	for i := 0; i < loops; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink += x
}

func calibrate() {
	const n = 50_000_000
	t0 := cpuNow()
	burn(n)
	loopsPerUS = n / float64((cpuNow() - t0).Microseconds())
}

func stats(xs []float64) (float64, float64, float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2], s[0], s[len(s)-1]
}

// freshBlock holds every goroutine fresh() made until the program ends, so
// that no trial finds a free G left by an earlier one: each `go` is a malg.
var freshBlock = make(chan struct{})

func fresh(n int) float64 {
	t0 := cpuNow()
	for i := 0; i < n; i++ {
		go func() { <-freshBlock }()
	}
	return float64((cpuNow() - t0).Nanoseconds()) / float64(n)
}

func reuse(n int) float64 {
	var wg sync.WaitGroup
	f := func() { wg.Done() }
	t0 := cpuNow()
	for done := 0; done < n; done += 200 {
		wg.Add(200)
		for i := 0; i < 200; i++ {
			go f()
		}
		wg.Wait()
	}
	return float64((cpuNow() - t0).Nanoseconds()) / float64(n)
}

func ring(n, hops int) float64 {
	// n goroutines in a line from chans[0] to chans[n]; main closes the loop,
	// so one lap is n+1 hops.
	chans := make([]chan int, n+1)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		in, out := chans[i], chans[i+1]
		go func() {
			defer wg.Done()
			for v := range in {
				out <- v + 1
			}
			close(out)
		}()
	}
	chans[0] <- 0 // warm-up lap
	<-chans[n]
	laps := hops / (n + 1)
	if laps < 2 {
		laps = 2
	}
	t0 := cpuNow()
	for l := 0; l < laps; l++ {
		chans[0] <- 0
		<-chans[n]
	}
	d := cpuNow() - t0
	close(chans[0])
	for range chans[n] {
	}
	wg.Wait()
	return float64(d.Nanoseconds()) / float64(laps*(n+1))
}

func fanout(n int) float64 {
	loops := int(loopsPerUS)
	var wg sync.WaitGroup
	wg.Add(n)
	t0 := cpuNow()
	for i := 0; i < n; i++ {
		go func() { burn(loops); wg.Done() }()
	}
	wg.Wait()
	return float64((cpuNow() - t0).Nanoseconds())/float64(n) - 1000
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

func main() {
	reps := flag.Int("reps", 7, "trials per figure")
	only := flag.String("only", "fresh,reuse,ring,fanout", "groups")
	once := flag.Int("once", 0, "only time N fresh `go` statements in this new process, once")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	if *once > 0 {
		// A new process: its heap and stacks start small, as a program's do.
		var ms runtime.MemStats
		c0, w0 := cpuNow(), time.Now()
		fresh(*once)
		c, w := cpuNow()-c0, time.Since(w0)
		runtime.ReadMemStats(&ms)
		fmt.Printf("once    N=%-8d %9.1f ns CPU, %.1f ns wall per go; %d GCs\n", *once,
			float64(c.Nanoseconds())/float64(*once), float64(w.Nanoseconds())/float64(*once), ms.NumGC)
		return
	}
	calibrate()
	fmt.Printf("# %s GOMAXPROCS=1 load %s\n", runtime.Version(), loadavg())
	run := func(name string, n int, f func() float64) {
		xs := make([]float64, *reps)
		for i := range xs {
			xs[i] = f()
		}
		med, lo, hi := stats(xs)
		fmt.Printf("%-7s N=%-8d %9.1f ns  (min %.1f max %.1f)\n", name, n, med, lo, hi)
	}
	for _, g := range strings.Split(*only, ",") {
		switch g {
		case "fresh":
			for _, n := range []int{1_000, 10_000, 100_000} {
				run("fresh", n, func() float64 { return fresh(n) })
			}
		case "reuse":
			run("reuse", 1_000_000, func() float64 { return reuse(1_000_000) })
		case "ring":
			for _, n := range []int{2, 10, 100, 1_000, 10_000, 100_000} {
				hops := 2_000_000
				if hops < 4*n {
					hops = 4 * n
				}
				run("ring", n, func() float64 { return ring(n, hops) })
			}
		case "fanout":
			for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
				run("fanout", n, func() float64 { return fanout(n) })
			}
		}
	}
	fmt.Printf("# load after %s\n", loadavg())
}
