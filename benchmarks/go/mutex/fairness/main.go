// Go's sync TestMutexFairness, timed (docs/fidelity.md, "sync.Mutex against
// real Go"): a goroutine holds the mutex in a loop (Lock, Sleep(100µs),
// Unlock) while another locks it 10 times, each after Sleep(100µs).
//   GO=/path/to/go; cd benchmarks/go/mutex/fairness && $GO run .
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Go's TestMutexFairness, timed: how long the second goroutine needs for its 10 Lock/Unlock rounds.
func fairness() time.Duration {
	var mu sync.Mutex
	stop := make(chan bool)
	defer close(stop)
	go func() {
		for {
			mu.Lock()
			time.Sleep(100 * time.Microsecond)
			mu.Unlock()
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	t0 := time.Now()
	done := make(chan bool, 1)
	go func() {
		for i := 0; i < 10; i++ {
			time.Sleep(100 * time.Microsecond)
			mu.Lock()
			mu.Unlock()
		}
		done <- true
	}()
	<-done
	return time.Since(t0)
}

func main() {
	for _, p := range []int{1, 2} {
		runtime.GOMAXPROCS(p)
		var xs []float64
		for i := 0; i < 15; i++ {
			xs = append(xs, float64(fairness().Microseconds())/1000)
		}
		sort.Float64s(xs)
		fmt.Printf("GOMAXPROCS=%d fairness: median %.2f ms (min %.2f, max %.2f)\n", p, xs[len(xs)/2], xs[0], xs[len(xs)-1])
	}
}
