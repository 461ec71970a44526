// Channel pipeline: a generator, two unbuffered stages and a sink, 300 items.
package main

import (
	"os"
	"runtime/trace"
)

func stage(in <-chan int, out chan<- int) {
	for v := range in {
		s := 0
		for j := 0; j < 2000; j++ {
			s += v ^ j
		}
		out <- s
	}
	close(out)
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	src, a, b := make(chan int), make(chan int), make(chan int)
	go func() {
		for i := 0; i < 300; i++ {
			src <- i
		}
		close(src)
	}()
	go stage(src, a)
	go stage(a, b)
	total := 0
	for v := range b {
		total += v
	}
	_ = total
	trace.Stop()
	f.Close()
}
