package main

// Measurements that need a fresh process (GODEBUG / GOMAXPROCS from the
// environment): async preemption, schedtrace output, fan-out throughput.
// The parent re-executes its own binary with COSTS_CHILD=<mode>.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var spinCount uint64

// spinNoCalls is a loop without function calls: no cooperative preemption
// point, so only an async (signal) preemption can stop it.
func spinNoCalls() {
	for {
		spinCount++
	}
}

//go:noinline
func burn(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i ^ (s >> 3)
	}
	return s
}

var burnSink int
var burnMu sync.Mutex

// itersPerMicro calibrates burn().
func itersPerMicro() int {
	best := 0.0
	for r := 0; r < 5; r++ {
		t0 := time.Now()
		burnSink += burn(5_000_000)
		el := time.Since(t0).Seconds() * 1e6
		if v := 5_000_000 / el; v > best {
			best = v
		}
	}
	return int(best)
}

func childMain(mode string) {
	switch mode {
	case "preempt":
		// GOMAXPROCS=1 from the environment.
		go spinNoCalls()
		for i := 0; i < 40; i++ {
			t0 := now()
			time.Sleep(time.Millisecond)
			fmt.Printf("LATE %d\n", now()-t0-int64(time.Millisecond))
		}
	case "fanout", "throughput":
		n, _ := strconv.Atoi(os.Getenv("COSTS_N"))
		ipm := itersPerMicro()
		var wg sync.WaitGroup
		wg.Add(n)
		work := func() {
			s := burn(ipm)
			if s == 42 {
				burnMu.Lock()
				burnSink++
				burnMu.Unlock()
			}
			wg.Done()
		}
		t0 := time.Now()
		for i := 0; i < n; i++ {
			go work()
		}
		wg.Wait()
		el := time.Since(t0)
		fmt.Printf("WALL %d N %d GOMAXPROCS %d ITERS_PER_US %d\n", el.Nanoseconds(), n, runtime.GOMAXPROCS(0), ipm)
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", mode)
		os.Exit(2)
	}
}

// runChild runs this binary in child mode with extra env, killing it after timeout.
func runChild(mode string, env []string, timeout time.Duration) (stdout, stderr string, timedOut bool, err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", "", false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(append(os.Environ(), "COSTS_CHILD="+mode), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), ctx.Err() == context.DeadlineExceeded, err
}

func parseLines(s, prefix string) [][]string {
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			out = append(out, strings.Fields(sc.Text()))
		}
	}
	return out
}

var schedtraceLines []string

func runChildren(reps int) {
	// Async preemption latency.
	var late []float64
	for r := 0; r < 3; r++ {
		out, _, to, _ := runChild("preempt", []string{"GOMAXPROCS=1"}, 30*time.Second)
		for _, f := range parseLines(out, "LATE") {
			v, _ := strconv.ParseFloat(f[1], 64)
			late = append(late, v)
		}
		if to {
			fmt.Println("preempt child timed out")
		}
	}
	recordSamples("preempt.sleep1ms_late_vs_spinner", 1, late,
		"GOMAXPROCS=1, G in a call-free loop, main time.Sleep(1ms): lateness (3 processes x 40)")
	for r := 0; r < 3; r++ {
		out, _, to, _ := runChild("preempt", []string{"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1"}, 500*time.Millisecond)
		recordValue(fmt.Sprintf("preempt.asyncpreemptoff.run%d", r), 1, "wakeups", float64(len(parseLines(out, "LATE"))),
			fmt.Sprintf("GODEBUG=asyncpreemptoff=1: main's 1ms sleeps that completed within 500 ms (killed on timeout: %v)", to))
	}

	// schedtrace of a 100000-goroutine fan-out.
	_, errOut, _, err := runChild("fanout", []string{"GOMAXPROCS=2", "GODEBUG=schedtrace=10", "COSTS_N=100000"}, 60*time.Second)
	if err == nil || errOut != "" {
		for _, l := range strings.Split(errOut, "\n") {
			if strings.HasPrefix(l, "SCHED") {
				schedtraceLines = append(schedtraceLines, l)
			}
		}
	}
	fmt.Println("schedtrace (GOMAXPROCS=2, GODEBUG=schedtrace=10, 100000 goroutines x ~1µs):")
	for _, l := range schedtraceLines {
		fmt.Println("   ", l)
	}

	// Fan-out throughput, N = 1e6 goroutines x ~1µs.
	for _, procs := range []int{2, 1} {
		var rate []float64
		var wall []float64
		for r := 0; r < max(3, reps/2); r++ {
			out, _, _, _ := runChild("throughput", []string{fmt.Sprintf("GOMAXPROCS=%d", procs), "COSTS_N=1000000"}, 120*time.Second)
			for _, f := range parseLines(out, "WALL") {
				ns, _ := strconv.ParseFloat(f[1], 64)
				wall = append(wall, ns)
				rate = append(rate, 1e6/(ns/1e9))
			}
		}
		recordSamples("fanout.1e6x1us.wall", procs, wall, "wall ns for 1e6 goroutines each burning ~1µs, one process per sample")
		r := summarize("fanout.1e6x1us.goroutines_per_s", procs, "samples", "goroutines/s", rate, 0, "")
		results = append(results, r)
		fmt.Printf("%-40s P=%d median %.3g goroutines/s [min %.3g, max %.3g] runs=%d\n", r.Name, procs, r.Median, r.Min, r.Max, r.N)
	}
}
