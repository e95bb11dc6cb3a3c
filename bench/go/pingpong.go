// pingpong / Go: unbuffered ping-pong between two goroutines. main sends i on
// ping, an echo goroutine sends it back (+1) on pong; N round trips.
// Reports ns per round trip. Ps: GOMAXPROCS env (run.sh runs 2 and 1).
// Usage: pingpong [N]   (default 1000000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	n := 1_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	sum := 0
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	elapsed := time.Since(start)
	close(ping)
	if sum != n*(n-1)/2+n {
		panic("wrong sum")
	}
	fmt.Printf("RESULT pingpong go %.1f ns/roundtrip procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}
