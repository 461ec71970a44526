package main

// System calls, P handoff, thread creation, M wake-up, cross-core costs.

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// procThreads reads the Threads: line of /proc/self/status.
func procThreads() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(sc.Text(), "Threads:")))
			return n
		}
	}
	return -1
}

// threadCreates is the size of the threadcreate profile: the Ms in allm,
// i.e. threads created and not exited (not a cumulative count).
func threadCreates() int { return pprof.Lookup("threadcreate").Count() }

func benchSyscallGetpid(n int) float64 {
	t0 := now()
	for i := 0; i < n; i++ {
		syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	return float64(now()-t0) / float64(n)
}

func benchRawSyscallGetpid(n int) float64 {
	t0 := now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	return float64(now()-t0) / float64(n)
}

func rawNanosleep(ns int64) {
	ts := syscall.NsecToTimespec(ns)
	syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafePointer(&ts)), 0, 0)
}

// sysMarkers split a syscall loop into runtime entry, runtime exit, kernel.
var sysMarkers = []marker{
	{"runtime.entersyscall*", "syscall_enter"},
	{"runtime.reentersyscall", "syscall_enter"},
	{"runtime.exitsyscall*", "syscall_exit"},
	{"internal/runtime/syscall*", "kernel"},
	{"syscall.RawSyscall*", "kernel"},
	{"runtime.sysmon", "sysmon"},
	{"main.now", "clock"},
	{"time.Since", "clock"},
}

// benchBlockingHandoff (GOMAXPROCS=1): the running G makes a blocking
// nanosleep syscall while another G is runnable; returns the delay until that
// other G starts (sysmon must see the P in the same syscall on two passes,
// retake it and hand it off: handoffp -> startm -> futex wake).  gap > 0
// busy-waits that long between trials, so sysmon is in its normal 20 µs loop
// instead of deep sleep (it deep-sleeps when all Ps are idle, i.e. during
// the previous trial's syscall, and is woken by the next exitsyscall).
func benchBlockingHandoff(n int, sleep time.Duration, gap int64) (lat []float64, notHanded int) {
	var t1 atomic.Int64
	done := make(chan struct{}, 1)
	ts := syscall.NsecToTimespec(int64(sleep))
	for i := 0; i < n; i++ {
		if gap > 0 {
			spinFor(gap)
		}
		t1.Store(0)
		go func() { t1.Store(now()); done <- struct{}{} }()
		t0 := now()
		syscall.Nanosleep(&ts, nil)
		<-done
		d := t1.Load() - t0
		if d > int64(sleep) {
			notHanded++
		}
		lat = append(lat, float64(d))
	}
	return
}

// benchSyscallExitPaths (GOMAXPROCS=1): duration of a 500 µs nanosleep as
// seen by the calling G, for three exit situations:
//
//	"raw":  RawSyscall, the P is never released (kernel time only);
//	"idle": syscall.Syscall alone; sysmon retakes the idle-looking P after two
//	        ticks (GOMAXPROCS=1: no idle P, no spinning M) and exitsyscall
//	        re-acquires it from the idle list;
//	"busy": syscall.Syscall while another G loops on runtime.Gosched(): the P
//	        is retaken and handed to a new M running that G, so exitsyscall
//	        finds no P (exitsyscallNoP): the G goes to the global run queue,
//	        its M stops, and the other M picks the G at its next Gosched.
//
// The excess over "raw" is the exit cost as latency seen by the G.
func benchSyscallExitPaths(n int, mode string) []float64 {
	ts := syscall.NsecToTimespec(500_000)
	var stop atomic.Bool
	var wg sync.WaitGroup
	if mode == "busy" {
		wg.Add(1)
		go func() {
			for !stop.Load() {
				runtime.Gosched()
			}
			wg.Done()
		}()
		runtime.Gosched()
	}
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := now()
		if mode == "raw" {
			syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafePointer(&ts)), 0, 0)
		} else {
			syscall.Nanosleep(&ts, nil)
		}
		out = append(out, float64(now()-t0))
	}
	stop.Store(true)
	wg.Wait()
	return out
}

// lockExitG exits while locked to its thread: the runtime terminates the M.
func lockExitG(done chan struct{}) {
	runtime.LockOSThread()
	done <- struct{}{}
}

func plainG(done chan struct{}) { done <- struct{}{} }

// benchThreadChurn (GOMAXPROCS=1): ns per `go f(); <-done` where f exits
// locked (thread exit + a new thread for the P) or not (baseline).  Also
// returns the fraction of iterations after which the main goroutine resumed
// on a thread (TID) it had never run on before, i.e. a newly created M.
func benchThreadChurn(n int, lock bool, seen map[int]bool) (nsPerOp float64, newTIDFrac float64) {
	done := make(chan struct{})
	fresh := 0
	t0 := now()
	for i := 0; i < n; i++ {
		if lock {
			go lockExitG(done)
		} else {
			go plainG(done)
		}
		<-done
		if tid := syscall.Gettid(); !seen[tid] {
			seen[tid] = true
			fresh++
		}
	}
	el := now() - t0
	return float64(el) / float64(n), float64(fresh) / float64(n)
}

// concurrentBlocking (GOMAXPROCS=2): k goroutines each block 50 ms in a
// syscall; shows Ms being created one retake/handoff at a time.
func concurrentBlocking(k int) (entrySpread float64, threadsBefore, threadsDuring, created int) {
	threadsBefore = procThreads()
	c0 := threadCreates()
	entries := make([]int64, k)
	var wg sync.WaitGroup
	wg.Add(k)
	t0 := now()
	ts := syscall.NsecToTimespec(int64(50 * time.Millisecond))
	for i := 0; i < k; i++ {
		go func(i int) {
			entries[i] = now() - t0
			syscall.Nanosleep(&ts, nil)
			wg.Done()
		}(i)
	}
	time.Sleep(40 * time.Millisecond)
	threadsDuring = procThreads()
	wg.Wait()
	created = threadCreates() - c0
	mn, mx := entries[0], entries[0]
	for _, e := range entries {
		mn = min(mn, e)
		mx = max(mx, e)
	}
	return float64(mx - mn), threadsBefore, threadsDuring, created
}

// spinFor busy-waits (with calls, so preemptible) for d ns.
func spinFor(d int64) {
	end := now() + d
	for now() < end {
	}
}

// benchWake (GOMAXPROCS=2): the running G readies a parked G (it goes to
// this P's runnext; wakep starts the idle P's parked M).  The other P has
// been idle for 300 µs.  Returns the delay until the readied G runs and the
// time the readier spent in the send (ready + wakep + futex wake).
//
// afterSend "spin": the readier keeps running, so the woken M may steal the
// G from runnext only after runqgrab's usleep(3) back-off.  "syscall": the
// readier enters a 300 µs nanosleep syscall right after the send; a P whose
// G is in a syscall is stolen from without the back-off, so this shows the
// wake itself (wakep + futex wake + M start + findRunnable + steal).
func benchWake(n int, afterSend string) (lat, send []float64) {
	ch := make(chan struct{})
	var t1 atomic.Int64
	go func() {
		for range ch {
			t1.Store(now())
		}
	}()
	ts := syscall.NsecToTimespec(300_000)
	for i := 0; i < n; i++ {
		spinFor(300_000)
		t1.Store(0)
		t0 := now()
		ch <- struct{}{}
		tw := now()
		if afterSend == "syscall" {
			syscall.Nanosleep(&ts, nil)
		}
		for t1.Load() == 0 && now()-t0 < 50_000_000 {
		}
		lat = append(lat, float64(t1.Load()-t0))
		send = append(send, float64(tw-t0))
	}
	close(ch)
	return lat, send
}

// benchCacheLine (GOMAXPROCS=2): one-way cache-line transfer between two
// goroutines spinning on different Ps (atomic flag ping-pong).
func benchCacheLine(n int) float64 {
	var flag atomic.Int32
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := now()
	go func() {
		for i := 0; i < n; i++ {
			for flag.Load() != 0 {
			}
			flag.Store(1)
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < n; i++ {
			for flag.Load() != 1 {
			}
			flag.Store(0)
		}
		wg.Done()
	}()
	wg.Wait()
	return float64(now()-t0) / float64(2*n)
}

// benchSelfSIGURG: cost of sending SIGURG to the current thread (tgkill)
// and running the runtime's signal handler (no preemption requested).
func benchSelfSIGURG(n int) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := syscall.Getpid(), syscall.Gettid()
	t0 := now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(pid), uintptr(tid), uintptr(syscall.SIGURG))
	}
	return float64(now()-t0) / float64(n)
}

func benchRawTgkill0(n int) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := syscall.Getpid(), syscall.Gettid()
	t0 := now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(pid), uintptr(tid), 0) // signal 0: permission check only
	}
	return float64(now()-t0) / float64(n)
}

func runSys(reps int) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		recordTrials("syscall.getpid_Syscall", procs, trials(reps, func() float64 { return benchSyscallGetpid(1_000_000) }), 1_000_000,
			"syscall.Syscall(SYS_GETPID): entersyscall + kernel + exitsyscall fast path")
		recordTrials("syscall.getpid_RawSyscall", procs, trials(reps, func() float64 { return benchRawSyscallGetpid(1_000_000) }), 1_000_000,
			"syscall.RawSyscall(SYS_GETPID): kernel only")
	}
	runtime.GOMAXPROCS(1)
	if p, ops, wall, err := profiledLoop(profileDur, func() int64 { benchSyscallGetpid(100_000); return 100_000 }); err == nil {
		recordSplit("split.syscall_getpid", 1, p, sysMarkers, ops, wall)
	}

	// sysmon's shortest sleep is usleep(20): what does it really take here?
	for _, us := range []int64{3, 20} {
		var lat []float64
		for i := 0; i < samples(2000); i++ {
			t0 := now()
			rawNanosleep(us * 1000)
			lat = append(lat, float64(now()-t0))
		}
		recordSamples(fmt.Sprintf("nanosleep.%dus_actual", us), 1, lat,
			fmt.Sprintf("raw nanosleep(%dµs) as the runtime's usleep does it; timer slack %s ns", us, readTrim("/proc/self/timerslack_ns")))
	}

	// Blocking syscall with another runnable G, GOMAXPROCS=1.
	runtime.GOMAXPROCS(1)
	th0, c0 := procThreads(), threadCreates()
	for r := 0; r < 3; r++ {
		lat, nh := benchBlockingHandoff(samples(300), time.Millisecond, 0)
		recordSamples(fmt.Sprintf("syscall.blocking_handoff_delay.back_to_back.run%d", r), 1, lat,
			fmt.Sprintf("1 ms nanosleep, trials back to back (sysmon woken from deep sleep by exitsyscall); %d/%d not handed off", nh, len(lat)))
	}
	for r := 0; r < 3; r++ {
		lat, nh := benchBlockingHandoff(samples(300), time.Millisecond, 2_000_000)
		recordSamples(fmt.Sprintf("syscall.blocking_handoff_delay.after_2ms_busy.run%d", r), 1, lat,
			fmt.Sprintf("1 ms nanosleep after 2 ms of busy work (sysmon in its 20 µs loop); %d/%d not handed off", nh, len(lat)))
	}
	for _, mode := range []string{"raw", "idle", "busy"} {
		for r := 0; r < 3; r++ {
			recordSamples(fmt.Sprintf("syscall.exit_paths.nanosleep500us_%s.run%d", mode, r), 1, benchSyscallExitPaths(samples(1000), mode),
				"500 µs nanosleep as seen by the G; raw=RawSyscall, idle=P retaken then re-acquired, busy=P held by another M (exitsyscallNoP)")
		}
	}
	recordValue("syscall.blocking_handoff.threads", 1, "threads", float64(procThreads()),
		fmt.Sprintf("Threads before %d; threadcreate profile (live Ms) %d -> %d", th0, c0, threadCreates()))

	// Many concurrent blocking syscalls, GOMAXPROCS=2.
	runtime.GOMAXPROCS(2)
	for r := 0; r < 3; r++ {
		spread, tb, td, created := concurrentBlocking(32)
		recordValue(fmt.Sprintf("syscall.concurrent32.entry_spread.run%d", r), 2, "ns", spread,
			fmt.Sprintf("32 G x 50ms nanosleep: first->last syscall entry; Threads before=%d during=%d; live Ms +%d", tb, td, created))
	}

	// Thread exit + creation (GOMAXPROCS=1).
	runtime.GOMAXPROCS(1)
	seen := map[int]bool{}
	benchThreadChurn(64, true, seen) // drain idle Ms so every iteration needs newm
	var churn, plain, fresh []float64
	thBefore := procThreads()
	for r := 0; r < reps; r++ {
		ns, fr := benchThreadChurn(200, true, seen)
		churn = append(churn, ns)
		fresh = append(fresh, fr)
		ns2, _ := benchThreadChurn(200, false, seen)
		plain = append(plain, ns2)
	}
	recordTrials("thread.lock_exit_cycle", 1, churn, 200,
		fmt.Sprintf("go f(){LockOSThread; send}; <-done: thread exit + new M for the P; fraction of iterations resuming on a new TID %v; Threads %d -> %d", fresh, thBefore, procThreads()))
	recordTrials("thread.plain_cycle", 1, plain, 200, "same without LockOSThread (baseline)")

	// Wake-up of an idle P's parked M (GOMAXPROCS=2).
	runtime.GOMAXPROCS(2)
	for _, mode := range []string{"syscall", "spin"} {
		for r := 0; r < 3; r++ {
			lat, send := benchWake(samples(1000), mode)
			recordSamples(fmt.Sprintf("wake.idle_p.readier_%s.run%d", mode, r), 2, lat,
				"ready a parked G while the other P is idle (M parked); delay until it runs; readier then "+mode+"s")
			recordSamples(fmt.Sprintf("wake.idle_p.readier_%s.send.run%d", mode, r), 2, send,
				"readier's time in the send: chan op + ready + wakep/startm incl. futex wake syscall")
		}
	}
	recordTrials("cacheline.oneway", 2, trials(reps, func() float64 { return benchCacheLine(500_000) }), 1_000_000,
		"atomic flag ping-pong between two Ps: one-way cache-line transfer")

	runtime.GOMAXPROCS(1)
	recordTrials("signal.self_sigurg", 1, trials(reps, func() float64 { return benchSelfSIGURG(200_000) }), 200_000,
		"tgkill(self, SIGURG) + runtime signal handler + sigreturn")
	recordTrials("signal.tgkill_sig0", 1, trials(reps, func() float64 { return benchRawTgkill0(200_000) }), 200_000,
		"tgkill(self, 0): the syscall without a signal")
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
