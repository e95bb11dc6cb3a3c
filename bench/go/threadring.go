// threadring / Go: the benchmarks game's thread-ring. 503 goroutines in a
// ring, each linked to the next by an unbuffered channel; a token starting
// at N is passed around, each goroutine decrementing it, until it reaches 0.
// Reports ns per hop (N hops). Ps: GOMAXPROCS env.
// Usage: threadring [N]   (default 10000000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

const ring = 503

func main() {
	n := 10_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	links := make([]chan int, ring)
	for i := range links {
		links[i] = make(chan int)
	}
	done := make(chan int)
	for i := 0; i < ring; i++ {
		go func(id int, in <-chan int, out chan<- int) {
			for t := range in {
				if t == 0 {
					done <- id
					return
				}
				out <- t - 1
			}
		}(i+1, links[i], links[(i+1)%ring])
	}
	start := time.Now()
	links[0] <- n
	winner := <-done
	elapsed := time.Since(start)
	if winner != n%ring+1 {
		panic("wrong winner")
	}
	fmt.Printf("RESULT threadring go %.1f ns/hop procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}
