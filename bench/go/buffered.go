// buffered / Go: P producers and C consumers on one channel of capacity 1024;
// N messages in total (each producer sends N/P). When all producers are done
// the channel is closed; consumers range over it. run.sh runs 1P1C and 4P4C.
// Reports ns per message. Ps: GOMAXPROCS env.
// Usage: buffered [N [P [C]]]   (default 5000000 1 1)
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

func arg(i, def int) int {
	if len(os.Args) > i {
		v, _ := strconv.Atoi(os.Args[i])
		return v
	}
	return def
}

func main() {
	n, p, c := arg(1, 5_000_000), arg(2, 1), arg(3, 1)
	per := n / p
	n = per * p
	ch := make(chan int, 1024)
	var prod, cons sync.WaitGroup
	var total atomic.Int64
	start := time.Now()
	prod.Add(p)
	for i := 0; i < p; i++ {
		go func() {
			for j := 0; j < per; j++ {
				ch <- j
			}
			prod.Done()
		}()
	}
	cons.Add(c)
	for i := 0; i < c; i++ {
		go func() {
			sum := 0
			for v := range ch {
				sum += v
			}
			total.Add(int64(sum))
			cons.Done()
		}()
	}
	prod.Wait()
	close(ch)
	cons.Wait()
	elapsed := time.Since(start)
	if total.Load() != int64(p*(per*(per-1)/2)) {
		panic("wrong sum")
	}
	fmt.Printf("RESULT buffered go %.1f ns/msg procs=%d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}
