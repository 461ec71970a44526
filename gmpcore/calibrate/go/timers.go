package main

// Timer costs and latencies.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func sleepActual(n int, d time.Duration) []float64 {
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := now()
		time.Sleep(d)
		out = append(out, float64(now()-t0))
	}
	return out
}

func benchTimerCreateStop(n int) float64 {
	t0 := now()
	for i := 0; i < n; i++ {
		t := time.NewTimer(time.Hour)
		t.Stop()
	}
	return float64(now()-t0) / float64(n)
}

func noop() {}

// benchAfterFuncAdd: ns per time.AfterFunc(1h, f) (timer inserted into the
// P's heap), with batch timers pending; Stop is timed separately.
func benchAfterFuncAdd(batch, iters int) (add, stop float64) {
	ts := make([]*time.Timer, batch)
	var tAdd, tStop int64
	for it := 0; it < iters; it++ {
		t0 := now()
		for i := range ts {
			ts[i] = time.AfterFunc(time.Hour+time.Duration(i), noop)
		}
		t1 := now()
		for _, t := range ts {
			t.Stop()
		}
		t2 := now()
		tAdd += t1 - t0
		tStop += t2 - t1
	}
	return float64(tAdd) / float64(batch*iters), float64(tStop) / float64(batch*iters)
}

// afterFuncLate: firing delay of time.AfterFunc(d) beyond d, nothing else running.
func afterFuncLate(n int, d time.Duration) []float64 {
	out := make([]float64, 0, n)
	done := make(chan int64, 1)
	for i := 0; i < n; i++ {
		t0 := now()
		time.AfterFunc(d, func() { done <- now() })
		t1 := <-done
		out = append(out, float64(t1-t0-int64(d)))
	}
	return out
}

// sleepers: k goroutines each loop time.Sleep(1ns) on GOMAXPROCS=1 for d; the
// P is always busy so expired timers are run from schedule (checkTimers),
// never via a blocking netpoll.  Profiled to split timer add / timer run
// costs.  Each goroutine checks the deadline itself (not a timer).
func sleepers(k int, d time.Duration) int64 {
	var ops atomic.Int64
	var wg sync.WaitGroup
	wg.Add(k)
	end := now() + int64(d)
	for i := 0; i < k; i++ {
		go func() {
			n := int64(0)
			for now() < end {
				time.Sleep(time.Nanosecond)
				n++
			}
			ops.Add(n)
			wg.Done()
		}()
	}
	wg.Wait()
	return ops.Load()
}

var timerMarkers = []marker{
	{"runtime.(*timers).run", "timer_fire"},
	{"runtime.(*timer).unlockAndRun", "timer_fire"},
	{"runtime.(*timers).check", "timer_fire"},
	{"runtime.(*timers).adjust", "timer_fire"},
	{"runtime.(*timers).deleteMin", "timer_fire"},
	{"runtime.goroutineReady", "timer_fire"},
	{"runtime.resetForSleep", "timer_add"},
	{"runtime.(*timer).reset", "timer_add"},
	{"runtime.(*timer).modify", "timer_add"},
	{"runtime.(*timer).maybeAdd", "timer_add"},
	{"runtime.(*timers).addHeap", "timer_add"},
	{"runtime.timeSleep", "timer_add"},
}

func runTimers(reps int) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, d := range []time.Duration{time.Microsecond, 50 * time.Microsecond, time.Millisecond} {
			recordSamples(fmt.Sprintf("timer.sleep_%s_actual", d), procs, sleepActual(samples(300), d),
				fmt.Sprintf("time.Sleep(%s) wall duration, idle program", d))
		}
		for _, d := range []time.Duration{100 * time.Microsecond, time.Millisecond} {
			recordSamples(fmt.Sprintf("timer.afterfunc_%s_late", d), procs, afterFuncLate(samples(300), d),
				fmt.Sprintf("AfterFunc(%s): callback start minus (t0+d)", d))
		}
	}
	runtime.GOMAXPROCS(1)
	recordTrials("timer.newtimer_stop", 1, trials(reps, func() float64 { return benchTimerCreateStop(1_000_000) }), 1_000_000,
		"time.NewTimer(1h) + Stop")
	var adds, stops []float64
	benchAfterFuncAdd(1000, 10)
	for r := 0; r < reps; r++ {
		runtime.GC()
		a, s := benchAfterFuncAdd(1000, 200)
		adds = append(adds, a)
		stops = append(stops, s)
	}
	recordTrials("timer.afterfunc_add", 1, adds, 200_000, "time.AfterFunc(1h+i) with up to 1000 timers in the heap")
	recordTrials("timer.afterfunc_stop", 1, stops, 200_000, "Timer.Stop of those")

	var ops int64
	t0 := time.Now()
	p, err := cpuProfile(func() { ops = sleepers(100, profileDur) })
	wall := time.Since(t0)
	if err == nil {
		m := append(append([]marker{}, timerMarkers...), schedMarkers...)
		recordSplit("split.sleep_loop", 1, p, m, ops, wall)
		recordValue("split.sleep_loop.ops", 1, "sleeps", float64(ops), "time.Sleep(1ns) calls completed in 5 s by 100 goroutines")
	}
}
