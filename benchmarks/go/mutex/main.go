// The sync.Mutex costs of gmpcore.costs (docs/cost-model.md §2.5):
// an uncontended Lock+Unlock pair (mutex_lock + mutex_unlock, one atomic
// read-modify-write each) and runtime_doSpin's procyield(30) (mutex_spin).
// procyield is the runtime's; reaching it needs -ldflags=-checklinkname=0.
package main

import (
	"fmt"
	"sort"
	"sync"
	"time"
	_ "unsafe"
)

//go:linkname procyield runtime.procyield
func procyield(cycles uint32)

func median(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }

func main() {
	var mu sync.Mutex
	const n = 20_000_000
	var pair, spin []float64
	for t := 0; t < 9; t++ {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			mu.Lock()
			mu.Unlock()
		}
		pair = append(pair, float64(time.Since(t0).Nanoseconds())/n)
		const k = 200_000
		t0 = time.Now()
		for i := 0; i < k; i++ {
			procyield(30)
		}
		spin = append(spin, float64(time.Since(t0).Nanoseconds())/k)
	}
	fmt.Printf("lock+unlock %.2f ns (min %.2f max %.2f)\n", median(append([]float64{}, pair...)), minf(pair), maxf(pair))
	fmt.Printf("procyield(30) %.1f ns (min %.1f max %.1f)\n", median(append([]float64{}, spin...)), minf(spin), maxf(spin))
}

func minf(x []float64) float64 { m := x[0]; for _, v := range x { if v < m { m = v } }; return m }
func maxf(x []float64) float64 { m := x[0]; for _, v := range x { if v > m { m = v } }; return m }
