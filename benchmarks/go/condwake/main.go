// sync.Cond wake-ups at GOMAXPROCS=1: the notifier's time in one Broadcast
// with k goroutines parked in Wait (notifyListNotifyAll: lock, detach the
// list, goready each into runnext) and in one Signal with k parked
// (notifyListNotifyOne: lock, find the oldest ticket, goready it) -- gmpcore
// charges cond_op + k x ready and cond_op + ready.  Each trial parks k
// waiters (they run until they block in Wait), then times one call; the
// waiters run after it (re-lock, unlock, exit).  Median, p10 and p90 of
// 2000 calls, in wall time.  The same method as benchmarks/go/close.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// oneNotify returns the time of c.Broadcast() (or one c.Signal()) with k
// waiters parked in c.Wait().
func oneNotify(k int, signal bool, wg *sync.WaitGroup) time.Duration {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	var entered atomic.Int32
	wg.Add(k)
	for i := 0; i < k; i++ {
		go func() {
			mu.Lock()
			entered.Add(1)
			c.Wait()
			mu.Unlock()
			wg.Done()
		}()
	}
	// Let them all take their tickets: each counts itself holding mu, and
	// a waiter releases mu only inside Wait, after notifyListAdd; so once
	// all k have counted, main's Lock returns after the last one's ticket.
	// At GOMAXPROCS=1 each then runs on into notifyListWait and parks
	// before main runs again.
	for entered.Load() < int32(k) {
		runtime.Gosched()
	}
	mu.Lock()
	mu.Unlock()
	t0 := time.Now()
	if signal {
		c.Signal()
	} else {
		c.Broadcast()
	}
	d := time.Since(t0)
	if signal {
		c.Broadcast() // the others, untimed
	}
	wg.Wait()
	return d
}

func main() {
	runtime.GOMAXPROCS(1)
	b, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("# %s GOMAXPROCS=1 load %s\n", runtime.Version(), strings.TrimSpace(string(b)))
	var wg sync.WaitGroup
	for _, signal := range []bool{false, true} {
		name := "broadcast"
		if signal {
			name = "signal   "
		}
		for _, k := range []int{0, 1, 8, 64} {
			if signal && k > 8 {
				continue
			}
			var xs []float64
			for t := 0; t < 2000; t++ {
				xs = append(xs, float64(oneNotify(k, signal, &wg).Nanoseconds()))
			}
			sort.Float64s(xs)
			fmt.Printf("%s with %2d parked waiters: median %6.0f ns  p10 %6.0f  p90 %6.0f\n",
				name, k, xs[len(xs)/2], xs[len(xs)/10], xs[len(xs)*9/10])
		}
	}
}
