// Command costs measures the Go runtime's scheduler costs on this machine
// for gmpcore's cost model (docs/cost-model.md).
//
//	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -out results.json
//
// It ships inside the gmpcore package (gmpcore/calibrate/go) so that
// `gmpcore calibrate` can build and run it; benchmarks/go/costs/run.sh
// runs it for the repository's committed results.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func uname() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return "?"
	}
	s := func(a [65]int8) string {
		b := make([]byte, 0, 65)
		for _, c := range a {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return s(u.Sysname) + " " + s(u.Release) + " " + s(u.Machine)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			return strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
		}
	}
	return "?"
}

// profileDur is how long each CPU-profiled loop runs (-profile).
var profileDur = 5 * time.Second

// sampleScale scales the number of latency samples (-samples).
var sampleScale = 1.0

// samples is n latency samples scaled by -samples, at least 20.
func samples(n int) int {
	if m := int(float64(n) * sampleScale); m > 20 {
		return m
	}
	return 20
}

func main() {
	if mode := os.Getenv("COSTS_CHILD"); mode != "" {
		childMain(mode)
		return
	}
	reps := flag.Int("reps", 9, "trials per measurement")
	out := flag.String("out", "", "write JSON results to this file")
	quietMax := flag.Duration("quiet-wait", 3*time.Minute, "before each group, wait up to this long for other processes to go idle")
	groups := flag.String("groups", "sched,sys,timer,netpoll,children", "measurement groups to run")
	flag.DurationVar(&profileDur, "profile", 5*time.Second, "length of each CPU-profiled loop (profile splits)")
	flag.Float64Var(&sampleScale, "samples", 1, "scale the number of latency samples by this factor (at least 20 each)")
	flag.Parse()

	meta := map[string]any{
		"go_version":  runtime.Version(),
		"goos_goarch": runtime.GOOS + "/" + runtime.GOARCH,
		"num_cpu":     runtime.NumCPU(),
		"cpu_model":   cpuModel(),
		"kernel":      uname(),
		"timerslack":  readTrim("/proc/self/timerslack_ns"),
		"clocksource": readTrim("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
		"reps":        *reps,
		"started":     time.Now().UTC().Format(time.RFC3339),
		"profile_hz":  profileHz,
		"profile_s":   profileDur.Seconds(),
		"samples":     sampleScale,
		"default_gmp": runtime.GOMAXPROCS(0),
	}
	fmt.Printf("# %s %s, %d CPUs (%s), kernel %s, clocksource %s, timerslack %s ns\n",
		meta["go_version"], meta["goos_goarch"], meta["num_cpu"], meta["cpu_model"], meta["kernel"], meta["clocksource"], meta["timerslack"])
	start := time.Now()
	for _, g := range strings.Split(*groups, ",") {
		waited, quiet := waitQuiet(*quietMax)
		fmt.Printf("## %s (loadavg %s; waited %.0f s for a quiet machine: quiet=%v)\n", g, readTrim("/proc/loadavg"), waited.Seconds(), quiet)
		lm := markLoad()
		switch g {
		case "sched":
			runSched(*reps)
		case "sys":
			runSys(*reps)
		case "timer":
			runTimers(*reps)
		case "netpoll":
			runNetpoll(*reps)
		case "children":
			runChildren(*reps)
		default:
			fmt.Fprintln(os.Stderr, "unknown group", g)
			os.Exit(2)
		}
		recordValue("load.foreign_cpus."+g, 0, "CPUs", lm.foreignCPUs(),
			"average CPUs used by other processes while this group ran (of 2)")
	}
	meta["elapsed_s"] = time.Since(start).Seconds()
	meta["schedtrace"] = schedtraceLines
	fmt.Printf("# done in %.0f s\n", time.Since(start).Seconds())
	if *out != "" {
		if err := writeJSON(*out, meta); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
