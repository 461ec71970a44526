// GOMAXPROCS(1)/GOMAXPROCS(hi) flip loop: the stop-the-world pause metrics per change
// (calibrates the stw_stop, stw_start and procresize_p costs; docs/cost-model.md).
//   cd benchmarks/go/stwflip && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -hi 2
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sort"
	"time"
)

func hist(name string) (count uint64, sum float64) {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	for i, c := range h.Counts {
		count += c
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		if lo < 0 || lo != lo {
			lo = 0
		}
		if hi > 1 {
			hi = lo
		}
		sum += float64(c) * (lo + hi) / 2
	}
	return
}

func main() {
	n := flag.Int("n", 10000, "flips")
	spin := flag.Int("spin", 0, "spinning goroutines")
	hi := flag.Int("hi", 2, "the larger GOMAXPROCS")
	flag.Parse()
	for i := 0; i < *spin; i++ {
		go func() {
			x := 0
			for {
				x++
				if x%1000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	c0s, s0s := hist("/sched/pauses/stopping/other:seconds")
	c0t, s0t := hist("/sched/pauses/total/other:seconds")
	durs := make([]time.Duration, 0, 2**n)
	for i := 0; i < *n; i++ {
		t := time.Now()
		runtime.GOMAXPROCS(1)
		durs = append(durs, time.Since(t))
		t = time.Now()
		runtime.GOMAXPROCS(*hi)
		durs = append(durs, time.Since(t))
	}
	c1s, s1s := hist("/sched/pauses/stopping/other:seconds")
	c1t, s1t := hist("/sched/pauses/total/other:seconds")
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	fmt.Printf("spin=%d changes=%d stopping: n=%d mean=%.2fus total: n=%d mean=%.2fus call p50=%v p10=%v\n",
		*spin, 2**n, c1s-c0s, (s1s-s0s)/float64(c1s-c0s)*1e6, c1t-c0t, (s1t-s0t)/float64(c1t-c0t)*1e6,
		durs[len(durs)/2], durs[len(durs)/10])
}
