// Sleep/timer-heavy: 6 goroutines each sleep 1ms ten times; a ticker ticks
// 10 times at 2ms in main.
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
	trace.Stop()
	f.Close()
}
