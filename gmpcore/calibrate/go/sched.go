package main

// Goroutine lifecycle, channel, Gosched and WaitGroup costs.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var base = time.Now()

// now is a monotonic nanosecond clock (vDSO clock_gettime via time.Since).
func now() int64 { return int64(time.Since(base)) }

// trials runs fn once to warm up, then reps times after a GC; fn returns ns/op.
func trials(reps int, fn func() float64) []float64 {
	runtime.GC()
	fn()
	out := make([]float64, 0, reps)
	for i := 0; i < reps; i++ {
		runtime.GC()
		out = append(out, fn())
	}
	return out
}

var gwg sync.WaitGroup

func nopG() { gwg.Done() }

// benchNewproc: ns per `go nopG()` as seen by the creating goroutine.  The
// creator makes `batch` goroutines (timed), then waits for them (untimed).
func benchNewproc(batch, iters int) float64 {
	var total int64
	for i := 0; i < iters; i++ {
		gwg.Add(batch)
		t0 := now()
		for j := 0; j < batch; j++ {
			go nopG()
		}
		total += now() - t0
		gwg.Wait()
	}
	return float64(total) / float64(batch*iters)
}

// benchLifecycle: ns per goroutine for create + schedule + run + exit
// (+ its wg.Done, + the creator's amortised Add/Wait), all timed.
func benchLifecycle(batch, iters int) float64 {
	t0 := now()
	for i := 0; i < iters; i++ {
		gwg.Add(batch)
		for j := 0; j < batch; j++ {
			go nopG()
		}
		gwg.Wait()
	}
	return float64(now()-t0) / float64(batch*iters)
}

// benchPingPong: ns per one-way handoff over two unbuffered channels.
func benchPingPong(n int) float64 {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v
		}
	}()
	a <- -1
	<-b
	t0 := now()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	el := now() - t0
	close(a)
	return float64(el) / float64(2*n)
}

// benchLockedPingPong: as benchPingPong but the echo goroutine is locked to
// its OS thread, so every handoff also switches M (handoffp/startm + futex).
func benchLockedPingPong(n int) float64 {
	a, b := make(chan int), make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for v := range a {
			b <- v
		}
	}()
	a <- -1
	<-b
	t0 := now()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	el := now() - t0
	close(a)
	return float64(el) / float64(2*n)
}

// benchSendToWaiter: ns per unbuffered send that finds a parked receiver
// (chansend fast path + goready into runnext), GOMAXPROCS=1.
func benchSendToWaiter(k, iters int) float64 {
	c := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		go func() {
			for range c {
				wg.Done()
			}
		}()
	}
	// warm-up round: afterwards all k receivers are parked on c.
	wg.Add(k)
	for j := 0; j < k; j++ {
		c <- j
	}
	wg.Wait()
	var total int64
	for it := 0; it < iters; it++ {
		wg.Add(k)
		t0 := now()
		for j := 0; j < k; j++ {
			c <- j
		}
		total += now() - t0
		wg.Wait()
	}
	close(c)
	return float64(total) / float64(k*iters)
}

// benchChanBuffered: ns per non-blocking buffered channel op (send or recv).
func benchChanBuffered(n int) float64 {
	c := make(chan int, 1)
	t0 := now()
	for i := 0; i < n; i++ {
		c <- i
		<-c
	}
	return float64(now()-t0) / float64(2*n)
}

// benchGosched: ns per runtime.Gosched() with one other runnable goroutine
// (each call is one switch; a round trip is two calls).
func benchGosched(n int) float64 {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for i := 0; i < n; i++ {
			runtime.Gosched()
		}
		wg.Done()
	}()
	t0 := now()
	for i := 0; i < n; i++ {
		runtime.Gosched()
	}
	wg.Wait()
	return float64(now()-t0) / float64(2*n)
}

// benchGoschedAlone: Gosched with nothing else runnable (the G re-picks itself).
func benchGoschedAlone(n int) float64 {
	t0 := now()
	for i := 0; i < n; i++ {
		runtime.Gosched()
	}
	return float64(now()-t0) / float64(n)
}

func benchWGAddDone(n int) float64 {
	var wg sync.WaitGroup
	t0 := now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		wg.Done()
	}
	return float64(now()-t0) / float64(2*n)
}

// benchMutexPair times an uncontended sync.Mutex Lock+Unlock pair (one
// atomic read-modify-write each: mutex_lock and mutex_unlock are its halves).
func benchMutexPair(n int) float64 {
	var mu sync.Mutex
	t0 := now()
	for i := 0; i < n; i++ {
		mu.Lock()
		mu.Unlock()
	}
	return float64(now()-t0) / float64(n)
}

func benchWGWaitZero(n int) float64 {
	var wg sync.WaitGroup
	t0 := now()
	for i := 0; i < n; i++ {
		wg.Wait()
	}
	return float64(now()-t0) / float64(n)
}

// benchTimeNow: cost of the clock itself (subtracted nowhere; reported).
func benchTimeNow(n int) float64 {
	var s int64
	t0 := now()
	for i := 0; i < n; i++ {
		s += now()
	}
	sinkI64.Store(s)
	return float64(now()-t0) / float64(n)
}

var sinkI64 atomic.Int64

// Markers for splitting scheduler profiles.
var schedMarkers = []marker{
	{"runtime.schedule", "schedule"},
	{"runtime.findRunnable", "schedule"},
	{"runtime.execute", "schedule"},
	{"runtime.park_m", "park"},
	{"runtime.gopark", "park"},
	{"runtime.goready", "ready"},
	{"runtime.ready", "ready"},
	{"runtime.newproc", "newproc"},
	{"runtime.newproc1", "newproc"},
	{"runtime.goexit0", "goexit"},
	{"runtime.goexit1", "goexit"},
	{"runtime.gdestroy", "goexit"},
	{"runtime.gosched_m", "gosched"},
	{"runtime.goschedImpl", "gosched"},
	{"runtime.Gosched", "gosched"},
	{"runtime.chansend", "chan"},
	{"runtime.chanrecv", "chan"},
	{"runtime.chansend1", "chan"},
	{"runtime.chanrecv1", "chan"},
	{"runtime.chanrecv2", "chan"},
	{"sync.(*WaitGroup).Add", "wg"},
	{"sync.(*WaitGroup).Done", "wg"},
	{"sync.(*WaitGroup).Wait", "wg"},
	{"runtime.sysmon", "sysmon"},
	{"runtime.gcBgMarkWorker", "gc"},
	{"runtime.bgsweep", "gc"},
	{"runtime.bgscavenge", "gc"},
	{"main.now", "clock"},
	{"time.Since", "clock"},
}

// profiledLoop runs one op function repeatedly for about d under the CPU
// profiler and returns the profile and the number of ops done.
func profiledLoop(d time.Duration, chunk func() int64) (*cpuProf, int64, time.Duration, error) {
	var ops int64
	var wall time.Duration
	p, err := cpuProfile(func() {
		t0 := time.Now()
		end := t0.Add(d)
		for time.Now().Before(end) {
			ops += chunk()
		}
		wall = time.Since(t0)
	})
	return p, ops, wall, err
}

func runSched(reps int) {
	const procs1 = 1
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	recordTrials("clock.time_now", 1, trials(reps, func() float64 { return benchTimeNow(1_000_000) }), 1_000_000, "cost of one now() call (time.Since)")

	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		recordTrials("newproc.batch200", procs, trials(reps, func() float64 { return benchNewproc(200, 250) }), 50_000,
			"creator-side ns per `go f()`; batch of 200 fits runnext+ring")
		recordTrials("newproc.batch10000", procs, trials(reps, func() float64 { return benchNewproc(10_000, 5) }), 50_000,
			"batch of 10000: includes runqputslow spills to the global runq")
	}
	runtime.GOMAXPROCS(procs1)
	recordTrials("lifecycle.batch200", 1, trials(reps, func() float64 { return benchLifecycle(200, 250) }), 50_000,
		"create+schedule+run(wg.Done)+exit per goroutine, creator's Add/Wait amortised")
	recordTrials("chan.pingpong_oneway", 1, trials(reps, func() float64 { return benchPingPong(200_000) }), 400_000,
		"unbuffered ping-pong, ns per one-way handoff (send to parked G + park + schedule)")
	recordTrials("chan.send_to_waiter.k8", 1, trials(reps, func() float64 { return benchSendToWaiter(8, 6400) }), 51_200,
		"unbuffered send that finds one of 8 parked receivers: chan op + goready (runnext)")
	recordTrials("chan.send_to_waiter.k128", 1, trials(reps, func() float64 { return benchSendToWaiter(128, 400) }), 51_200,
		"same with 128 receivers (colder caches, ring grows to 127)")
	recordTrials("chan.buffered_op", 1, trials(reps, func() float64 { return benchChanBuffered(2_000_000) }), 4_000_000,
		"non-blocking buffered chan send or recv")
	recordTrials("gosched.two_g", 1, trials(reps, func() float64 { return benchGosched(200_000) }), 400_000,
		"ns per Gosched call with one other runnable G (round trip = 2 calls)")
	recordTrials("gosched.alone", 1, trials(reps, func() float64 { return benchGoschedAlone(200_000) }), 200_000,
		"Gosched with nothing else runnable")
	recordTrials("wg.add_done", 1, trials(reps, func() float64 { return benchWGAddDone(2_000_000) }), 4_000_000,
		"uncontended Add(1) or Done()")
	recordTrials("mutex.lock_unlock_pair", 1, trials(reps, func() float64 { return benchMutexPair(4_000_000) }), 4_000_000,
		"uncontended sync.Mutex Lock+Unlock pair (the model charges half to each)")
	recordTrials("wg.wait_zero", 1, trials(reps, func() float64 { return benchWGWaitZero(2_000_000) }), 2_000_000,
		"Wait on a zero counter")
	recordTrials("chan.pingpong_locked_oneway", 1, trials(reps, func() float64 { return benchLockedPingPong(20_000) }), 40_000,
		"echo G LockOSThread'ed: each handoff switches M (stoplockedm/handoffp/startlockedm, futex wake)")

	// CPU-profile splits (1000 Hz) of the lifecycle and ping-pong loops.
	if p, ops, wall, err := profiledLoop(profileDur, func() int64 { benchLifecycle(200, 50); return 200 * 50 }); err == nil {
		recordSplit("split.lifecycle", 1, p, schedMarkers, ops, wall)
	}
	if p, ops, wall, err := profiledLoop(profileDur, func() int64 { benchPingPong(50_000); return 100_000 }); err == nil {
		recordSplit("split.pingpong_oneway", 1, p, schedMarkers, ops, wall)
	}
	if p, ops, wall, err := profiledLoop(profileDur, func() int64 { benchGosched(50_000); return 100_000 }); err == nil {
		recordSplit("split.gosched", 1, p, schedMarkers, ops, wall)
	}
}
