// Mutex-contended: 8 goroutines take one sync.Mutex 200 times each, doing a
// little work inside the critical section.
package main

import "sync"

func main() {
	stop := startTrace()
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				mu.Lock()
				for k := 0; k < 500; k++ {
					counter += k & 3
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	_ = counter
	stop()
}
