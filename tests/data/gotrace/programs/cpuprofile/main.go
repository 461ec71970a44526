// CPU samples in the trace: with the CPU profiler on while tracing, the
// runtime writes its samples (about 100 a second) into the trace too.
// Two goroutines spin for about 100ms each.
package main

import (
	"io"
	"runtime/pprof"
	"sync"
)

var sink [2]uint64

func main() {
	stop := startTrace()
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			x := uint64(i + 1)
			for j := 0; j < 100000000; j++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
			sink[i] = x
		}(i)
	}
	wg.Wait()
	pprof.StopCPUProfile()
	stop()
}
