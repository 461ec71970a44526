// The sync.RWMutex and sync.Cond costs of gmpcore.costs (docs/cost-model.md):
// an uncontended RLock+RUnlock pair (rwmutex_rlock + rwmutex_runlock, one
// atomic add each), an uncontended RWMutex Lock+Unlock pair (for comparison
// with sync.Mutex's), and Cond.Signal and Cond.Broadcast with no waiter
// (cond_signal: notifyListNotifyOne's atomic compare of wait and notify).
package main

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

func median(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }

func minf(x []float64) float64 {
	m := x[0]
	for _, v := range x {
		if v < m {
			m = v
		}
	}
	return m
}

func maxf(x []float64) float64 {
	m := x[0]
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

func report(name string, xs []float64) {
	fmt.Printf("%s %.2f ns (min %.2f max %.2f)\n", name, median(append([]float64{}, xs...)), minf(xs), maxf(xs))
}

func main() {
	var rw sync.RWMutex
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	const n = 20_000_000
	var rpair, wpair, sig, bcast []float64
	for t := 0; t < 9; t++ {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			rw.RLock()
			rw.RUnlock()
		}
		rpair = append(rpair, float64(time.Since(t0).Nanoseconds())/n)
		t0 = time.Now()
		for i := 0; i < n; i++ {
			rw.Lock()
			rw.Unlock()
		}
		wpair = append(wpair, float64(time.Since(t0).Nanoseconds())/n)
		t0 = time.Now()
		for i := 0; i < n; i++ {
			c.Signal()
		}
		sig = append(sig, float64(time.Since(t0).Nanoseconds())/n)
		t0 = time.Now()
		for i := 0; i < n; i++ {
			c.Broadcast()
		}
		bcast = append(bcast, float64(time.Since(t0).Nanoseconds())/n)
	}
	report("rlock+runlock", rpair)
	report("rw lock+unlock", wpair)
	report("signal (no waiter)", sig)
	report("broadcast (no waiter)", bcast)
}
