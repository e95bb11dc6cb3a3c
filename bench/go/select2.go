// select2 / Go: one goroutine selects over two unbuffered channels, each fed
// by its own producer goroutine (N/2 values each); N selects in total.
// Reports ns per select. Ps: GOMAXPROCS env.
// Usage: select2 [N]   (default 2000000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	n := 2_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	half := n / 2
	n = 2 * half
	a, b := make(chan int), make(chan int)
	start := time.Now()
	for _, ch := range []chan int{a, b} {
		go func(ch chan int) {
			for i := 0; i < half; i++ {
				ch <- i
			}
		}(ch)
	}
	sum, na := 0, 0
	for i := 0; i < n; i++ {
		select {
		case v := <-a:
			sum += v
			na++
		case v := <-b:
			sum += v
		}
	}
	elapsed := time.Since(start)
	if sum != 2*(half*(half-1)/2) || na != half {
		panic("wrong sum")
	}
	fmt.Printf("RESULT select2 go %.1f ns/select procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}
