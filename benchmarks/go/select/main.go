// The select costs of gmpcore.costs (docs/cost-model.md, select_base and
// select_case): selectgo with 1, 2 and 4 cases against plain channel
// operations, and a blocking select woken by a sender against a blocking
// receive woken by a sender (an unbuffered ping-pong, GOMAXPROCS=1).
package main

import (
	"fmt"
	"runtime"
	"sort"
	"time"
)

func median(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }

var sink int

// A closed channel is always ready: a receive on it takes selectgo's
// pass 1 and returns, with nothing to undo between iterations.
func nbRecv1(n int, a chan int) { // one case + default: selectnbrecv (no selectgo)
	for i := 0; i < n; i++ {
		select {
		case <-a:
			sink++
		default:
		}
	}
}

func sel2Default(n int, a, b chan int) { // 2 cases + default, nothing ready: default
	for i := 0; i < n; i++ {
		select {
		case <-a:
			sink++
		case <-b:
			sink--
		default:
		}
	}
}

func sel2Ready(n int, a, closed chan int) { // 2 cases, one ready (closed)
	for i := 0; i < n; i++ {
		select {
		case <-a:
			sink++
		case <-closed:
		}
	}
}

func sel4Ready(n int, a, b, c, closed chan int) { // 4 cases, one ready (closed)
	for i := 0; i < n; i++ {
		select {
		case <-a:
			sink++
		case <-b:
			sink--
		case <-c:
			sink += 2
		case <-closed:
		}
	}
}

func plainRecv(n int, closed chan int) { // a plain receive on a closed channel
	for i := 0; i < n; i++ {
		<-closed
	}
}

// Ping-pong: the echo goroutine receives (plain, or a 2-case select) and
// answers; the main goroutine sends and waits.  Each round is two handoffs.
func pingpong(n int, useSelect bool) float64 {
	ping, pong, never := make(chan int), make(chan int), make(chan int)
	go func() {
		for {
			var v int
			if useSelect {
				select {
				case v = <-ping:
				case <-never:
				}
			} else {
				v = <-ping
			}
			if v < 0 {
				return
			}
			pong <- v
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	d := time.Since(t0)
	ping <- -1
	return float64(d.Nanoseconds()) / float64(n)
}

func timeit(n int, f func()) float64 {
	t0 := time.Now()
	f()
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	runtime.GOMAXPROCS(1)
	a, b, c := make(chan int), make(chan int), make(chan int)
	closed := make(chan int)
	close(closed)
	const n = 10_000_000
	const m = 2_000_000
	names := []string{"plain recv (closed)", "1 case + default (selectnbrecv)", "2 cases + default, none ready",
		"2 cases, one ready", "4 cases, one ready", "ping-pong round, plain recv", "ping-pong round, 2-case select"}
	res := make([][]float64, len(names))
	for t := 0; t < 9; t++ {
		res[0] = append(res[0], timeit(n, func() { plainRecv(n, closed) }))
		res[1] = append(res[1], timeit(n, func() { nbRecv1(n, a) }))
		res[2] = append(res[2], timeit(n, func() { sel2Default(n, a, b) }))
		res[3] = append(res[3], timeit(n, func() { sel2Ready(n, a, closed) }))
		res[4] = append(res[4], timeit(n, func() { sel4Ready(n, a, b, c, closed) }))
		res[5] = append(res[5], pingpong(m, false))
		res[6] = append(res[6], pingpong(m, true))
	}
	for i, name := range names {
		xs := append([]float64{}, res[i]...)
		fmt.Printf("%-34s %7.2f ns (min %.2f max %.2f)\n", name, median(xs), minf(res[i]), maxf(res[i]))
	}
}

func minf(x []float64) float64 { m := x[0]; for _, v := range x { if v < m { m = v } }; return m }
func maxf(x []float64) float64 { m := x[0]; for _, v := range x { if v > m { m = v } }; return m }
