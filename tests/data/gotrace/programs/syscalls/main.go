// Syscall-heavy: 4 goroutines each write and fsync a temporary file 20 times,
// and read it back with pread.
package main

import (
	"os"
	"sync"
)

func main() {
	stop := startTrace()
	var wg sync.WaitGroup
	buf := make([]byte, 4096)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := os.CreateTemp("", "gotrace")
			if err != nil {
				panic(err)
			}
			defer os.Remove(t.Name())
			rb := make([]byte, 4096)
			for j := 0; j < 20; j++ {
				t.WriteAt(buf, int64(j)*4096)
				t.Sync()
				t.ReadAt(rb, int64(j)*4096)
			}
			t.Close()
		}()
	}
	wg.Wait()
	stop()
}
