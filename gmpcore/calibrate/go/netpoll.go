package main

// Network poller: wake latency of a goroutine blocked on a loopback TCP read,
// and bounds on the cost of one non-blocking netpoll.

import (
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

func tcpPair() (net.Conn, net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	b := <-ch
	a.(*net.TCPConn).SetNoDelay(true)
	b.(*net.TCPConn).SetNoDelay(true)
	return a, b, nil
}

// netpollWake: writer writes 1 byte; reader (blocked in Read, i.e. parked on
// the netpoller) records when it returns.  spin=false: the writer then blocks
// (the wake comes from findRunnable's non-blocking netpoll on the same P);
// spin=true: the writer keeps the P busy and the reader is woken by an M
// blocked in epoll_wait on another P.
func netpollWake(n int, spin bool) ([]float64, error) {
	w, r, err := tcpPair()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	defer r.Close()
	var t1 atomic.Int64
	ack := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			t1.Store(now())
			ack <- struct{}{}
		}
	}()
	msg := []byte{1}
	out := make([]float64, 0, n)
	for i := 0; i < n+10; i++ {
		time.Sleep(200 * time.Microsecond) // let the reader park, Ms go idle
		t1.Store(0)
		t0 := now()
		w.Write(msg)
		if spin {
			for t1.Load() == 0 && now()-t0 < 50_000_000 {
			}
		}
		<-ack
		if i >= 10 {
			out = append(out, float64(t1.Load()-t0))
		}
	}
	return out, nil
}

// tcpPingPong: one-way latency of a 1-byte TCP ping-pong (both ends Go).
func tcpPingPong(n int) (float64, error) {
	a, b, err := tcpPair()
	if err != nil {
		return 0, err
	}
	defer a.Close()
	defer b.Close()
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
			b.Write(buf)
		}
	}()
	buf := []byte{1}
	t0 := now()
	for i := 0; i < n; i++ {
		a.Write(buf)
		a.Read(buf)
	}
	return float64(now()-t0) / float64(2*n), nil
}

// benchEpollZero: raw epoll_pwait(timeout 0) as the runtime's non-blocking
// netpoll does it, with `ready` level-triggered ready fds registered.
func benchEpollZero(n, ready int) float64 {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return -1
	}
	defer syscall.Close(epfd)
	var fds [2]int
	for i := 0; i < ready; i++ {
		syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK)
		syscall.Write(fds[1], []byte{1})
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fds[0])}
		syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fds[0], &ev)
		defer syscall.Close(fds[0])
		defer syscall.Close(fds[1])
	}
	events := make([]syscall.EpollEvent, 128)
	t0 := now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafePointer(&events[0])), 128, 0, 0, 0)
	}
	return float64(now()-t0) / float64(n)
}

var netMarkers = []marker{
	{"runtime.netpoll", "!netpoll"},
	{"runtime.injectglist", "!netpoll_inject"},
	{"runtime.entersyscall*", "syscall_enter"},
	{"runtime.reentersyscall", "syscall_enter"},
	{"runtime.exitsyscall*", "syscall_exit"},
	{"internal/runtime/syscall*", "kernel"},
	{"syscall.RawSyscall*", "kernel"},
}

func runNetpoll(reps int) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	for r := 0; r < 3; r++ {
		runtime.GOMAXPROCS(1)
		if lat, err := netpollWake(samples(500), false); err == nil {
			recordSamples(fmt.Sprintf("netpoll.wake_writer_blocks.run%d", r), 1, lat,
				"TCP loopback: write 1 byte, writer parks; reader woken by the same P's non-blocking netpoll")
		} else {
			fmt.Println("netpoll:", err)
		}
		runtime.GOMAXPROCS(2)
		if lat, err := netpollWake(samples(500), true); err == nil {
			recordSamples(fmt.Sprintf("netpoll.wake_writer_spins.run%d", r), 2, lat,
				"TCP loopback: write 1 byte, writer keeps running; reader woken via the M blocked in epoll_wait")
		}
	}
	runtime.GOMAXPROCS(1)
	recordTrials("netpoll.tcp_pingpong_oneway", 1, trials(reps, func() float64 { v, _ := tcpPingPong(20_000); return v }), 40_000,
		"1-byte TCP loopback ping-pong, both ends in this process")
	recordTrials("netpoll.epoll_pwait0_empty", 1, trials(reps, func() float64 { return benchEpollZero(1_000_000, 0) }), 1_000_000,
		"raw epoll_pwait(timeout=0), no fds: lower bound of a non-blocking netpoll")
	recordTrials("netpoll.epoll_pwait0_1ready", 1, trials(reps, func() float64 { return benchEpollZero(1_000_000, 1) }), 1_000_000,
		"raw epoll_pwait(timeout=0) returning 1 ready fd")
	if p, ops, wall, err := profiledLoop(profileDur, func() int64 { tcpPingPong(5_000); return 10_000 }); err == nil {
		m := append(append([]marker{}, netMarkers...), schedMarkers...)
		recordSplit("split.tcp_pingpong_oneway", 1, p, m, ops, wall)
	}
}
