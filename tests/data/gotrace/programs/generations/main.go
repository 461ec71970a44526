// Several generations: the runtime starts a new trace generation about once a
// second, so 4 goroutines that wake every 20ms for 2.5s produce 3 or more
// generations in a small trace (goroutines and Ps carried across them).
package main

import (
	"sync"
	"time"
)

func main() {
	stop := startTrace()
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			deadline := time.Now().Add(2500 * time.Millisecond)
			for time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				select {
				case ch <- i:
				default:
				}
			}
		}(i)
	}
	go func() {
		for range ch {
		}
	}()
	wg.Wait()
	stop()
}
