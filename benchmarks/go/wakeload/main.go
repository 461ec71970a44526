// How late a thread woken from a 1 ms nanosleep gets a CPU when other
// threads keep the CPUs busy in bursts: n threads (each locked to its own
// OS thread) run `on` of CPU and sleep `off`, over and over, while the main
// thread makes 400 nanosleep(1 ms) calls and records how much longer than
// 1 ms each took (the kernel's timer slack, 50 us by default, included).
//
//	go build -o wakeload . && GOMAXPROCS=8 ./wakeload 4 150us 50us
//
// The model's counterpart is model.py; docs/machine.md compares the two.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"time"
)

var sink [16]uint64

// bursty runs about `run` of CPU, then nanosleeps `rest`, forever, on its own thread.
func bursty(i int, run, rest time.Duration) {
	runtime.LockOSThread()
	x := uint64(i)
	ts := syscall.Timespec{Nsec: int64(rest)}
	for {
		t := time.Now()
		for time.Since(t) < run {
			for j := 0; j < 200; j++ {
				x = x*6364136223846793005 + 1
			}
		}
		sink[i] = x
		syscall.Nanosleep(&ts, nil)
	}
}

func main() {
	var n int
	var run, rest time.Duration
	fmt.Sscan(os.Args[1], &n)
	run, _ = time.ParseDuration(os.Args[2])
	rest, _ = time.ParseDuration(os.Args[3])
	for i := 0; i < n; i++ {
		go bursty(i, run, rest)
	}
	runtime.LockOSThread()
	time.Sleep(20 * time.Millisecond)
	const N = 400
	late := make([]time.Duration, 0, N)
	ts := syscall.Timespec{Nsec: 1_000_000}
	for i := 0; i < N; i++ {
		t0 := time.Now()
		syscall.Nanosleep(&ts, nil)
		late = append(late, time.Since(t0)-time.Millisecond)
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	fmt.Printf("%d bursty threads (%v on, %v off): nanosleep(1ms) late p10 %v p50 %v p90 %v p99 %v\n",
		n, run, rest, late[N/10], late[N/2], late[N*9/10], late[N*99/100])
}
