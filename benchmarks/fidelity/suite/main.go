// Command suite runs one scenario of the fidelity suite on the real Go
// runtime and prints one line of JSON: the wall time of the workload
// (wall_ns, measured with Go's monotonic clock from its first statement to
// its last), the scenario's own metrics, and the threads the process made.
//
//	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -scenario pingpong
//	go run . -list
//
// Each scenario is the same program as the gmpcore workload of that name in
// scenarios.py (next to this file), statement for statement; run.py builds
// this program, runs it and compares.  The process runs one scenario, cold
// (no warm-up: a simulation starts from a cold runtime too), with the
// garbage collector off during the workload (gmpcore models no GC).  CPU
// work is a spin loop of a fixed iteration count calibrated at start-up
// (the fastest of 25 timed runs), so a goroutine the OS takes its CPU from
// still does the same work, and a loop without calls, so only asynchronous
// preemption stops it (gmpcore's cpu() is preemptible the same way).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var itersPerUs float64

// spin does iters rounds of xorshift64: pure CPU, no memory traffic, no calls.
func spin(iters int) {
	x := uint64(iters) | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 { // never: xorshift of a non-zero word is non-zero
		println("unreachable")
	}
}

// work spins for about d of CPU.
func work(d time.Duration) { spin(iters(d)) }

func iters(d time.Duration) int {
	return int(math.Round(itersPerUs * float64(d.Nanoseconds()) / 1000))
}

func calibrate() float64 {
	const n = 200_000
	best := math.Inf(1)
	for r := 0; r < 25; r++ {
		t0 := time.Now()
		spin(n)
		if d := float64(time.Since(t0).Nanoseconds()); d < best {
			best = d
		}
	}
	return n / (best / 1000)
}

// nanosleep is a system call that blocks for d (plus the kernel's timer
// slack): syscall.Nanosleep goes through syscall.Syscall, i.e. entersyscall
// and exitsyscall, as gmpcore's syscall(d) does.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

// metrics a scenario reports besides the wall time
type out map[string]float64

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func quantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(math.Min(float64(len(s)-1), math.Floor(q*float64(len(s)))))]
}

func fanout(n int, body func()) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			body()
			wg.Done()
		}()
	}
	wg.Wait()
}

// ---------------------------------------------------------------- scenarios

var scenarios = map[string]func() out{
	// sleepers: 5000 goroutines each sleep 20 ms.
	"sleepers": func() out {
		fanout(5000, func() { time.Sleep(20 * time.Millisecond) })
		return nil
	},
	// sleepers_random: 5000 goroutines each sleep uniform(1 ms, 20 ms).
	"sleepers_random": func() out {
		r := rand.New(rand.NewSource(1))
		d := make([]time.Duration, 5000)
		for i := range d { // drawn before the clock starts: gmpcore's draws cost nothing
			d[i] = time.Millisecond + time.Duration(r.Int63n(int64(19*time.Millisecond)))
		}
		var wg sync.WaitGroup
		wg.Add(len(d))
		for i := range d {
			go func(d time.Duration) {
				time.Sleep(d)
				wg.Done()
			}(d[i])
		}
		wg.Wait()
		return nil
	},
	// chain: 10000 goroutines in a daisy chain of unbuffered channels; main
	// passes 20 tokens through it, one after the other.
	"chain": func() out {
		const n, tokens = 10000, 20
		first := make(chan int)
		in := first
		for i := 0; i < n; i++ {
			next := make(chan int)
			go func(in, next chan int) {
				for t := 0; t < tokens; t++ {
					v := <-in
					next <- v
				}
			}(in, next)
			in = next
		}
		for t := 0; t < tokens; t++ {
			first <- t
			<-in
		}
		return nil
	},
	// burst: 100 bursts of 500 fresh goroutines of 1 µs CPU, a WaitGroup each.
	"burst": func() out {
		for b := 0; b < 100; b++ {
			fanout(500, func() { work(time.Microsecond) })
		}
		return nil
	},
	// syscall_storm: 100 goroutines each make 10 blocking syscalls of 1 ms.
	"syscall_storm": func() out {
		fanout(100, func() {
			for i := 0; i < 10; i++ {
				nanosleep(time.Millisecond)
			}
		})
		return nil
	},
	// timer_cpu: two goroutines spin 2 s of CPU; a third sleeps 1 ms ten
	// times and measures how late each sleep returns; main waits for it only.
	"timer_cpu": func() out {
		var wg sync.WaitGroup
		wg.Add(1)
		go work(2 * time.Second)
		go work(2 * time.Second)
		var late []float64
		go func() {
			for i := 0; i < 10; i++ {
				t0 := time.Now()
				time.Sleep(time.Millisecond)
				late = append(late, float64(time.Since(t0)-time.Millisecond))
			}
			wg.Done()
		}()
		wg.Wait()
		return out{"lateness_p50_ns": median(late)}
	},
	// gosched_spinners: GOMAXPROCS 1: main starts a goroutine that spins 2 s
	// of CPU, computes 1 ms, then 10 times computes 10 µs and calls Gosched;
	// the program ends with main.  (At GOMAXPROCS 2 with two spinners Go's
	// time is bimodal, 4 ms to 600 ms, on which P gets the spinners first.)
	"gosched_spinners": func() out {
		go work(2 * time.Second)
		work(time.Millisecond)
		for i := 0; i < 10; i++ {
			work(10 * time.Microsecond)
			runtime.Gosched()
		}
		return nil
	},
	// overcommit: GOMAXPROCS 8 on the 2-CPU machine: 200 goroutines of 1 ms CPU.
	"overcommit": func() out {
		fanout(200, func() { work(time.Millisecond) })
		return nil
	},
	// p1_global_sawtooth: GOMAXPROCS 1: 20000 goroutines of 2 µs CPU; main
	// outruns the P's 256-slot ring, which spills halves to the global queue.
	"p1_global_sawtooth": func() out {
		fanout(20000, func() { work(2 * time.Microsecond) })
		return nil
	},
	// worker_pool: 8 workers each take 2500 jobs of 5 µs from an unbuffered channel.
	"worker_pool": func() out {
		const jobs, workers = 20000, 8
		var wg sync.WaitGroup
		q := make(chan int)
		wg.Add(workers)
		for w := 0; w < workers; w++ {
			go func() {
				for j := 0; j < jobs/workers; j++ {
					<-q
					work(5 * time.Microsecond)
				}
				wg.Done()
			}()
		}
		for j := 0; j < jobs; j++ {
			q <- j
		}
		wg.Wait()
		return nil
	},
	// pool_range: 4 workers range over a channel of capacity 100; main sends
	// 20000 jobs of 5 µs, closes it, waits.
	"pool_range": func() out {
		const jobs, workers = 20000, 4
		var wg sync.WaitGroup
		q := make(chan int, 100)
		wg.Add(workers)
		for w := 0; w < workers; w++ {
			go func() {
				for range q {
					work(5 * time.Microsecond)
				}
				wg.Done()
			}()
		}
		for j := 0; j < jobs; j++ {
			q <- j
		}
		close(q)
		wg.Wait()
		return nil
	},
	// pingpong: two goroutines, 100000 round trips over unbuffered channels.
	"pingpong":    func() out { pingpong(100000); return nil },
	"pingpong_p1": func() out { pingpong(100000); return nil },
	// fanout_cpu_p1 / _p2: 1000 goroutines of 100 µs CPU.
	"fanout_cpu_p1": func() out { fanout(1000, func() { work(100 * time.Microsecond) }); return nil },
	"fanout_cpu_p2": func() out { fanout(1000, func() { work(100 * time.Microsecond) }); return nil },
	// fanout_tiny: 100000 goroutines that only call wg.Done.
	"fanout_tiny": func() out { fanout(100000, func() {}); return nil },
	// mutex: 4 goroutines each 20000 times: Lock, 200 ns CPU, Unlock, 200 ns CPU.
	"mutex": func() out {
		var mu sync.Mutex
		n := iters(200 * time.Nanosecond)
		fanout(4, func() {
			for i := 0; i < 20000; i++ {
				mu.Lock()
				spin(n)
				mu.Unlock()
				spin(n)
			}
		})
		return nil
	},
	// pipeline: main sends 20000 items into stage 1; stages 1-3 each compute
	// 2 µs per item and pass it on over unbuffered channels, closing their
	// output when their input is closed; main's sink goroutine drains stage 3.
	"pipeline": func() out {
		const items = 20000
		src := make(chan int)
		in := src
		for s := 0; s < 3; s++ {
			o := make(chan int)
			go func(in, o chan int) {
				for v := range in {
					work(2 * time.Microsecond)
					o <- v
				}
				close(o)
			}(in, o)
			in = o
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func(in chan int) {
			for range in {
			}
			wg.Done()
		}(in)
		for i := 0; i < items; i++ {
			src <- i
		}
		close(src)
		wg.Wait()
		return nil
	},
	// select_two: two producers each send 10000 values on their own unbuffered
	// channel; one consumer selects over both 20000 times and spins 1 µs per value.
	"select_two": func() out {
		a, b := make(chan int), make(chan int)
		for _, c := range []chan int{a, b} {
			go func(c chan int) {
				for i := 0; i < 10000; i++ {
					c <- i
				}
			}(c)
		}
		for i := 0; i < 20000; i++ {
			select {
			case <-a:
			case <-b:
			}
			work(time.Microsecond)
		}
		return nil
	},
	// rwmutex_readers: 4 readers × 5000 (RLock, 1 µs CPU, RUnlock, 1 µs CPU)
	// beside 1 writer × 500 (Lock, 2 µs CPU, Unlock, 20 µs CPU).
	"rwmutex_readers": func() out {
		var rw sync.RWMutex
		var wg sync.WaitGroup
		wg.Add(5)
		for r := 0; r < 4; r++ {
			go func() {
				for i := 0; i < 5000; i++ {
					rw.RLock()
					work(time.Microsecond)
					rw.RUnlock()
					work(time.Microsecond)
				}
				wg.Done()
			}()
		}
		go func() {
			for i := 0; i < 500; i++ {
				rw.Lock()
				work(2 * time.Microsecond)
				rw.Unlock()
				work(20 * time.Microsecond)
			}
			wg.Done()
		}()
		wg.Wait()
		return nil
	},
	// ticker_spinners: main receives 50 ticks of a 1 ms Ticker, 50 µs of CPU
	// each, beside 2 goroutines spinning in 5 ms loops for the whole run.
	"ticker_spinners": func() out {
		for i := 0; i < 2; i++ {
			go func() { // runs on after main returns: the process ends then
				n := iters(5 * time.Millisecond)
				for {
					spin(n)
				}
			}()
		}
		tk := time.NewTicker(time.Millisecond)
		for i := 0; i < 50; i++ {
			<-tk.C
			work(50 * time.Microsecond)
		}
		tk.Stop()
		return nil
	},
	// netpoll_sleeps: 100 goroutines each sleep 100 µs 20 times (the wake-ups
	// come from the netpoller's timeout when every P is idle).
	"netpoll_sleeps": func() out {
		fanout(100, func() {
			for i := 0; i < 20; i++ {
				time.Sleep(100 * time.Microsecond)
			}
		})
		return nil
	},
	// lockosthread_pingpong: a goroutine locked to its thread and main, 2000
	// round trips over unbuffered channels.
	"lockosthread_pingpong": func() out {
		const rounds = 2000
		ping, pong := make(chan int), make(chan int)
		go func() {
			runtime.LockOSThread()
			for i := 0; i < rounds; i++ {
				<-ping
				pong <- i
			}
		}()
		for i := 0; i < rounds; i++ {
			ping <- i
			<-pong
		}
		return nil
	},
	// gomaxprocs_flip: main sets GOMAXPROCS to 1 and back to 2, 500 times.
	"gomaxprocs_flip": func() out {
		for i := 0; i < 500; i++ {
			runtime.GOMAXPROCS(1)
			runtime.GOMAXPROCS(2)
		}
		return nil
	},
	// wg_barrier: 200 rounds of 8 fresh goroutines of 20 µs CPU and a Wait.
	"wg_barrier": func() out {
		for r := 0; r < 200; r++ {
			fanout(8, func() { work(20 * time.Microsecond) })
		}
		return nil
	},
	// buffered_pc: a producer sends 200000 values on a channel of capacity
	// 64, a consumer receives them; main waits for both.
	"buffered_pc": func() out {
		const n = 200000
		c := make(chan int, 64)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			for i := 0; i < n; i++ {
				c <- i
			}
			wg.Done()
		}()
		go func() {
			for i := 0; i < n; i++ {
				<-c
			}
			wg.Done()
		}()
		wg.Wait()
		return nil
	},
	// spawn_tree: a binary tree of goroutines 14 levels deep (16383 nodes);
	// each node computes 1 µs, starts its two children, calls wg.Done.
	"spawn_tree": func() out {
		const depth = 14
		var wg sync.WaitGroup
		wg.Add(1<<depth - 1)
		var node func(level int)
		node = func(level int) {
			work(time.Microsecond)
			if level+1 < depth {
				go node(level + 1)
				go node(level + 1)
			}
			wg.Done()
		}
		go node(0)
		wg.Wait()
		return nil
	},
	// syscall_cpu_mix: 8 goroutines each 50 times: 50 µs CPU, a 100 µs syscall.
	"syscall_cpu_mix": func() out {
		fanout(8, func() {
			for i := 0; i < 50; i++ {
				work(50 * time.Microsecond)
				nanosleep(100 * time.Microsecond)
			}
		})
		return nil
	},
	// cond_broadcast / _p1 / _64: barrier rounds on a sync.Cond (condRounds).
	"cond_broadcast":    func() out { condRounds(4, 5000, false); return nil },
	"cond_broadcast_p1": func() out { condRounds(4, 5000, false); return nil },
	"cond_broadcast_64": func() out { condRounds(64, 1000, false); return nil },
	// cond_signal / _p1 / _64: the same rounds, woken by n Signals.
	"cond_signal":    func() out { condRounds(4, 5000, true); return nil },
	"cond_signal_p1": func() out { condRounds(4, 5000, true); return nil },
	"cond_signal_64": func() out { condRounds(64, 1000, true); return nil },
	// sleep_1ms: main sleeps 1 ms 100 times and measures each sleep's lateness.
	"sleep_1ms": func() out {
		late := make([]float64, 0, 100)
		for i := 0; i < 100; i++ {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			late = append(late, float64(time.Since(t0)-time.Millisecond))
		}
		return out{"lateness_p50_ns": median(late), "lateness_p90_ns": quantile(late, 0.9)}
	},
}

func pingpong(rounds int) {
	var wg sync.WaitGroup
	ping, pong := make(chan int), make(chan int)
	wg.Add(2)
	go func() {
		for i := 0; i < rounds; i++ {
			ping <- i
			<-pong
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < rounds; i++ {
			<-ping
			pong <- i
		}
		wg.Done()
	}()
	wg.Wait()
}

// condRounds: n waiters and main meet `rounds` times on a sync.Cond.  Each
// waiter, each round: Lock; ready.Done(); Wait; Unlock.  Main, each round:
// ready.Wait(); Lock; ready.Add(n) unless it is the last round; Broadcast
// (or, with signal, n Signals); Unlock.  Then main waits for the waiters'
// exit on done.
//
// Why it cannot deadlock, and why every notify finds its waiter, without a
// predicate: a waiter calls ready.Done holding mu and keeps mu until Wait
// has taken its ticket (notifyListAdd comes before Wait's Unlock).  So when
// main holds mu after ready.Wait returned, all n waiters hold this round's
// tickets and none can take another (it must first be woken, then re-lock
// mu, which main holds).  Every earlier ticket was notified in its round, so
// exactly n tickets are unnotified: one Broadcast or n Signals (each the
// oldest unnotified ticket, FIFO) notify all of them; a waiter notified
// before it reached notifyListWait returns without parking (the ticket
// check), so no wake-up is lost.  ready.Add(n) happens under mu before the
// notify, hence before any waiter's next Done, and after main's ready.Wait
// returned (WaitGroup reuse is legal: no Wait is in progress).
func condRounds(n, rounds int, signal bool) {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			for r := 0; r < rounds; r++ {
				mu.Lock()
				ready.Done()
				c.Wait()
				mu.Unlock()
			}
			done.Done()
		}()
	}
	for r := 0; r < rounds; r++ {
		ready.Wait()
		mu.Lock()
		if r < rounds-1 {
			ready.Add(n)
		}
		if signal {
			for i := 0; i < n; i++ {
				c.Signal()
			}
		} else {
			c.Broadcast()
		}
		mu.Unlock()
	}
	done.Wait()
}

func threadsNow() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// nanosleepOvershoot: the median extra time of a nanosleep(d) on this machine.
func nanosleepOvershoot(d time.Duration) float64 {
	var v []float64
	for i := 0; i < 30; i++ {
		t0 := time.Now()
		nanosleep(d)
		v = append(v, float64(time.Since(t0)-d))
	}
	return median(v)
}

func main() {
	name := flag.String("scenario", "", "the scenario to run")
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	list := flag.Bool("list", false, "list the scenarios")
	flag.Parse()
	if *list {
		var s []string
		for k := range scenarios {
			s = append(s, k)
		}
		sort.Strings(s)
		fmt.Println(strings.Join(s, "\n"))
		return
	}
	f, ok := scenarios[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "suite: unknown scenario %q (-list lists them)\n", *name)
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*procs)
	itersPerUs = calibrate()
	res := map[string]any{"scenario": *name, "gomaxprocs": *procs, "num_cpu": runtime.NumCPU(),
		"spin_iters_per_us": itersPerUs, "go_version": runtime.Version()}
	if strings.HasPrefix(*name, "syscall") {
		res["nanosleep_overshoot_ns"] = nanosleepOvershoot(100 * time.Microsecond)
	}
	debug.SetGCPercent(-1)
	runtime.GC()
	tc := pprof.Lookup("threadcreate")
	tc0, th0 := tc.Count(), threadsNow()
	t0 := time.Now()
	m := f()
	wall := time.Since(t0)
	res["wall_ns"] = wall.Nanoseconds()
	res["threadcreate_before"], res["threadcreate_after"] = tc0, tc.Count()
	res["threads_before"], res["threads_after"] = th0, threadsNow()
	res["threads_new"] = tc.Count() - tc0
	for k, v := range m {
		res[k] = v
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}
