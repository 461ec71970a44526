// Sleep/timer-heavy: 6 goroutines each sleep 1ms ten times; a ticker ticks
// 10 times at 2ms in main.
package main

import (
	"sync"
	"time"
)

func main() {
	stop := startTrace()
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				time.Sleep(time.Millisecond)
			}
		}()
	}
	tk := time.NewTicker(2 * time.Millisecond)
	for j := 0; j < 10; j++ {
		<-tk.C
	}
	tk.Stop()
	wg.Wait()
	stop()
}
