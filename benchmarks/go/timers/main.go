// The timer costs of gmpcore.costs (docs/cost-model.md): a Reset+Stop pair
// on a time.Timer nobody waits on (the model charges timer_add for each),
// and a Ticker tick delivered to a blocked receiver, timed the way
// timer_add/timer_fire were (docs/cost-model.md: 100 goroutines at P=1, the
// P always busy, so expired timers run from schedule's timers.check), next
// to the same loop with time.Sleep(1ns) for comparison.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

func median(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }

// cycles runs g goroutines doing body in a loop for d; ns per cycle of the P.
func cycles(g int, d time.Duration, body func(stop *atomic.Bool, n *atomic.Int64)) float64 {
	var stop atomic.Bool
	var n atomic.Int64
	done := make(chan struct{}, g)
	t0 := time.Now()
	for i := 0; i < g; i++ {
		go func() { body(&stop, &n); done <- struct{}{} }()
	}
	time.Sleep(d)
	stop.Store(true)
	el := time.Since(t0)
	for i := 0; i < g; i++ {
		<-done
	}
	return float64(el.Nanoseconds()) / float64(n.Load())
}

func main() {
	runtime.GOMAXPROCS(1)
	var pair, tick, sleep []float64
	for r := 0; r < 5; r++ {
		t := time.NewTimer(time.Hour)
		const n = 5_000_000
		t0 := time.Now()
		for i := 0; i < n; i++ {
			t.Reset(time.Hour)
			t.Stop()
		}
		pair = append(pair, float64(time.Since(t0).Nanoseconds())/n)
		tick = append(tick, cycles(100, time.Second, func(stop *atomic.Bool, n *atomic.Int64) {
			tk := time.NewTicker(time.Nanosecond)
			for !stop.Load() {
				<-tk.C
				n.Add(1)
			}
			tk.Stop()
		}))
		sleep = append(sleep, cycles(100, time.Second, func(stop *atomic.Bool, n *atomic.Int64) {
			for !stop.Load() {
				time.Sleep(time.Nanosecond)
				n.Add(1)
			}
		}))
	}
	fmt.Printf("timer reset+stop %.1f ns (min %.1f max %.1f)\n", median(append([]float64{}, pair...)), minf(pair), maxf(pair))
	fmt.Printf("ticker tick cycle %.1f ns (min %.1f max %.1f)\n", median(append([]float64{}, tick...)), minf(tick), maxf(tick))
	fmt.Printf("sleep cycle %.1f ns (min %.1f max %.1f)\n", median(append([]float64{}, sleep...)), minf(sleep), maxf(sleep))
}

func minf(x []float64) float64 { m := x[0]; for _, v := range x { if v < m { m = v } }; return m }
func maxf(x []float64) float64 { m := x[0]; for _, v := range x { if v > m { m = v } }; return m }
