// spawn / Go: the main goroutine spawns N goroutines that each bump a shared
// atomic and call wg.Done(); it then waits on a sync.WaitGroup.
// Reports ns per goroutine (spawn + run + finish). Ps: GOMAXPROCS env.
// Usage: spawn [N]   (default 1000000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	n := 1_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			count.Add(1)
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if count.Load() != int64(n) {
		panic("lost goroutines")
	}
	fmt.Printf("RESULT spawn go %.1f ns/goroutine procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}
