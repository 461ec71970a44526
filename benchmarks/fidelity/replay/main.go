// Programs recorded with runtime/trace for the replay-accuracy comparison
// (docs/fidelity.md "Replaying Go traces"): one program of each kind the
// issue names, chosen with -program, its execution trace written to -trace.
// Each does fixed amounts of arithmetic (not timed loops), so a burst in the
// trace is the CPU it took on this machine.
//
//	go build -o replayprog . && GOMAXPROCS=2 ./replayprog -program fanout -trace fanout.trace
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

var sink [64]uint64

// work does n rounds of a multiply-add (about 1.2 ns each here: a chain of
// dependent multiplies): CPU that no compiler can remove, nothing else.
func work(slot, n int) {
	x := uint64(slot + 1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink[slot%len(sink)] += x
}

// fanout: CPU-bound fan-out. Four rounds; each starts 8 goroutines of about
// 3 ms and waits for them on a WaitGroup.
func fanout() {
	for r := 0; r < 4; r++ {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) { defer wg.Done(); work(i, 2_500_000) }(i)
		}
		wg.Wait()
	}
}

// pipeline: a generator, two stages and a sink joined by unbuffered
// channels, 1000 items, about 6 µs of work per item and stage.
func pipeline() {
	src, a, b := make(chan int), make(chan int), make(chan int)
	stage := func(slot int, in <-chan int, out chan<- int) {
		for v := range in {
			work(slot, 5_000)
			out <- v
		}
		close(out)
	}
	go func() {
		for i := 0; i < 1000; i++ {
			src <- i
		}
		close(src)
	}()
	go stage(1, src, a)
	go stage(2, a, b)
	for range b {
		work(3, 2_000)
	}
}

// tempFile makes a file for one goroutine's writes (the caller removes it).
func tempFile() *os.File {
	f, err := os.CreateTemp("", "replayprog")
	if err != nil {
		panic(err)
	}
	return f
}

// fileWriters starts n goroutines that each write and fsync a temporary
// file 30 times (reading each block back with pread if readBack), with `cpu`
// rounds of work after each, and waits for them.
func fileWriters(n int, readBack bool, cpu int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			f := tempFile()
			defer os.Remove(f.Name())
			buf := make([]byte, 4096)
			for j := 0; j < 30; j++ {
				f.WriteAt(buf, int64(j)*4096)
				f.Sync()
				if readBack {
					f.ReadAt(buf, int64(j)*4096)
				}
				work(i, cpu)
			}
			f.Close()
		}(i)
	}
	wg.Wait()
}

// syscalls: 6 goroutines each write, fsync and read back a temporary file
// 30 times, with a little CPU between: blocking syscalls that lose their P.
func syscalls() { fileWriters(6, true, 50_000) }

// sleepers: 8 goroutines each do 50 rounds of about 150 µs of CPU and a 1 ms
// time.Sleep; main receives 25 ticks of a 2 ms Ticker meanwhile.
func sleepers() {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				work(i, 125_000)
				time.Sleep(time.Millisecond)
			}
		}(i)
	}
	tk := time.NewTicker(2 * time.Millisecond)
	for j := 0; j < 25; j++ {
		<-tk.C
	}
	tk.Stop()
	wg.Wait()
}

// mutex: 8 goroutines take one sync.Mutex 300 times each, about 6 µs of
// work inside and 6 µs outside.
func mutex() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 300; j++ {
				mu.Lock()
				work(0, 5_000)
				mu.Unlock()
				work(i+1, 5_000)
			}
		}(i)
	}
	wg.Wait()
}

// pool: a worker pool. main sends 2000 jobs of about 60 µs into a buffered
// channel read by 4 workers, which send results back on another; main
// reads them all with a select that also watches a timeout.
func pool() {
	jobs, results := make(chan int, 16), make(chan int, 16)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for j := range jobs {
				work(w, 50_000)
				results <- j
			}
		}(w)
	}
	go func() {
		for i := 0; i < 2000; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	timeout := time.After(10 * time.Second)
	for n := 0; n < 2000; n++ {
		select {
		case <-results:
		case <-timeout:
			panic("pool: timed out")
		}
	}
}

// fsync: 8 goroutines each write and fsync a temporary file 30 times with
// about 160 µs of CPU after each: blocking syscalls that lose their P while
// the other goroutines keep both Ps busy, so a syscall's return mostly
// waits for a P.
func fsync() { fileWriters(8, false, 130_000) }

var programs = map[string]func(){
	"fanout": fanout, "pipeline": pipeline, "syscalls": syscalls,
	"sleepers": sleepers, "mutex": mutex, "pool": pool, "fsync": fsync,
}

func main() {
	name := flag.String("program", "", "fanout, pipeline, syscalls, fsync, sleepers, mutex or pool")
	out := flag.String("trace", "", "write the execution trace here")
	flag.Parse()
	run, ok := programs[*name]
	if !ok || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: replayprog -program NAME -trace OUT")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	run()
	trace.Stop()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
