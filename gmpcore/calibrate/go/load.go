package main

// Accounting of CPU time used by other processes while a group ran: the
// machine has 2 vCPUs, so a busy neighbour changes every GOMAXPROCS=2 number.

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTicks returns (busy ticks of the whole machine, ticks of this process
// and its waited-for children), both in USER_HZ (100/s).
func cpuTicks() (machine, self int64) {
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // "cpu user nice system idle iowait irq softirq steal ..."
		for i := 1; i < len(f); i++ {
			if i == 4 || i == 5 { // idle, iowait
				continue
			}
			v, _ := strconv.ParseInt(f[i], 10, 64)
			machine += v
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
		for _, i := range []int{11, 12, 13, 14} {                // utime stime cutime cstime (fields 14-17)
			v, _ := strconv.ParseInt(f[i], 10, 64)
			self += v
		}
	}
	return
}

type loadMark struct {
	t             time.Time
	machine, self int64
}

func markLoad() loadMark {
	m, s := cpuTicks()
	return loadMark{time.Now(), m, s}
}

// foreignCPUs is the average number of CPUs used by other processes since m.
func (m loadMark) foreignCPUs() float64 {
	m2, s2 := cpuTicks()
	el := time.Since(m.t).Seconds()
	return float64((m2-m.machine)-(s2-m.self)) / 100 / el
}

var lastMark = markLoad()

// waitQuiet waits (up to max) until other processes used < 0.1 CPU during a
// 1 s window, so measurements are not run against a busy neighbour.
func waitQuiet(max time.Duration) (waited time.Duration, quiet bool) {
	t0 := time.Now()
	for time.Since(t0) < max {
		m := markLoad()
		time.Sleep(time.Second)
		if m.foreignCPUs() < 0.1 {
			lastMark = markLoad()
			return time.Since(t0), true
		}
	}
	lastMark = markLoad()
	return time.Since(t0), false
}
