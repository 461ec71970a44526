// Several generations: the runtime starts a new trace generation about once a
// second, so 4 goroutines that wake every 20ms for 2.5s produce 3 or more
// generations in a small trace (goroutines and Ps carried across them).
package main

import (
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
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
	trace.Stop()
	f.Close()
}
