// gosched / Go: the Gosched switch on one P. Two goroutines each call
// runtime.Gosched() N times while main waits on a WaitGroup; run with
// GOMAXPROCS=1 (run.sh sets it). Reports ns per yield (total 2N yields).
// Usage: gosched [N]   (default 1000000)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func main() {
	n := 1_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("RESULT gosched go %.1f ns/yield procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(2*n), runtime.GOMAXPROCS(0))
}
