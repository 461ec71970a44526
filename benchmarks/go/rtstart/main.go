// Command rtstart shows what the Go runtime has made before main.main's
// first line: the threads (/proc/self/status), the goroutines (a traceback
// of every goroutine, system ones included, with GOTRACEBACK=system), and,
// under GODEBUG=schedtrace=1, the first SCHED lines sysmon prints.
// gmpcore's runtime_init=True is held to what this prints (docs/fidelity.md).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

func threads() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "?"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "Threads:") {
			return strings.TrimSpace(strings.TrimPrefix(s.Text(), "Threads:"))
		}
	}
	return "?"
}

func main() {
	n := threads() // first: before this program makes any thread
	debug.SetTraceback("system")
	buf := make([]byte, 1<<16)
	buf = buf[:runtime.Stack(buf, true)]
	fmt.Printf("gomaxprocs=%d threads_at_main=%s numgoroutine=%d\n", runtime.GOMAXPROCS(0), n, runtime.NumGoroutine())
	for _, line := range strings.Split(string(buf), "\n") {
		if strings.HasPrefix(line, "goroutine ") {
			fmt.Println(line)
		}
	}
	time.Sleep(5 * time.Millisecond)
	fmt.Printf("threads_after_5ms=%s\n", threads())
}
