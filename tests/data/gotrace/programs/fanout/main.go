// CPU-bound fan-out: main starts 8 goroutines that each spin on arithmetic,
// then waits for them on a sync.WaitGroup.
package main

import "sync"

var sink [8]uint64

func work(i int) {
	x := uint64(i + 1)
	for j := 0; j < 400000; j++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink[i] = x
}

func main() {
	stop := startTrace()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); work(i) }(i)
	}
	wg.Wait()
	stop()
}
