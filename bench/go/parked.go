// parked / Go: memory per parked goroutine. After a warm-up (1,000 goroutines
// parked and released), read RSS (/proc/self/statm), spawn N goroutines that
// each signal a WaitGroup and then block receiving on a shared unbuffered
// channel, wait until all have signalled (+100 ms to settle), read RSS again,
// then close the channel and wait for all to exit. Reports
// (RSS after - RSS before) / N in bytes. Ps: GOMAXPROCS env.
// Usage: parked [N]   (default 100000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func rss() int {
	b, _ := os.ReadFile("/proc/self/statm")
	pages, _ := strconv.Atoi(strings.Fields(string(b))[1])
	return pages * os.Getpagesize()
}

func park(n int) (before, after int) {
	gate := make(chan struct{})
	var started, done sync.WaitGroup
	before = rss()
	started.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-gate
			done.Done()
		}()
	}
	started.Wait()
	time.Sleep(100 * time.Millisecond)
	after = rss()
	close(gate)
	done.Wait()
	return
}

func main() {
	n := 100_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	park(1000) // warm-up
	before, after := park(n)
	fmt.Printf("RESULT parked go %.1f B/goroutine procs=%d\n",
		float64(after-before)/float64(n), runtime.GOMAXPROCS(0))
}
