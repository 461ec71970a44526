// close(ch) with k goroutines parked receiving on it, GOMAXPROCS=1: the
// closer's time in close (closechan: lock, collect the k waiters, goready
// each into runnext) — gmpcore charges chan_op + k × ready.  Each trial
// parks k receivers (they run until they block), then times one close;
// the receivers run after it.  Median, p10 and p90 of 2000 closes, in
// wall time (each close is one short call on one thread).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// oneClose returns the time of close(ch) with k receivers parked on ch.
func oneClose(k int, wg *sync.WaitGroup) time.Duration {
	ch := make(chan int)
	wg.Add(k)
	for i := 0; i < k; i++ {
		go func() { <-ch; wg.Done() }()
	}
	runtime.Gosched() // let them all park (GOMAXPROCS=1: they run in turn and block)
	for runtime.NumGoroutine() > 1+k {
		runtime.Gosched()
	}
	t0 := time.Now()
	close(ch)
	d := time.Since(t0)
	wg.Wait()
	return d
}

func main() {
	runtime.GOMAXPROCS(1)
	b, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("# %s GOMAXPROCS=1 load %s\n", runtime.Version(), strings.TrimSpace(string(b)))
	var wg sync.WaitGroup
	for _, k := range []int{0, 1, 8, 64} {
		var xs []float64
		for t := 0; t < 2000; t++ {
			xs = append(xs, float64(oneClose(k, &wg).Nanoseconds()))
		}
		sort.Float64s(xs)
		fmt.Printf("close with %2d parked receivers: median %6.0f ns  p10 %6.0f  p90 %6.0f\n",
			k, xs[len(xs)/2], xs[len(xs)/10], xs[len(xs)*9/10])
	}
}
