// preemptwake / Go: how late a sleeping goroutine wakes beside a hog. On one
// P (run.sh sets GOMAXPROCS=1) a goroutine spins in a loop that calls
// nothing (Go stops it by signal, async preemption); main sleeps 1 ms N
// times and records how much later than asked each sleep ended. Reports
// the median oversleep and, as preemptwake.worst, the largest.
// Usage: preemptwake [N]   (default 200)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
)

var sink atomic.Uint64

//go:noinline
func hog(stop *atomic.Bool) {
	x := uint64(1)
	for !stop.Load() {
		x = x*3 + 1
	}
	sink.Store(x)
}

func main() {
	n := 200
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { hog(&stop); close(done) }()
	runtime.Gosched()
	late := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t := time.Now()
		time.Sleep(time.Millisecond)
		late = append(late, float64(time.Since(t)-time.Millisecond)/1e3)
	}
	stop.Store(true)
	<-done
	sort.Float64s(late)
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("RESULT preemptwake go %.1f us procs=%d\n", late[len(late)/2], procs)
	fmt.Printf("RESULT preemptwake.worst go %.1f us procs=%d\n", late[len(late)-1], procs)
}
