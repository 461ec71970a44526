// Channel pipeline: a generator, two unbuffered stages and a sink, 300 items.
package main

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
	stop := startTrace()
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
	stop()
}
