// handoff / Go: how soon a runnable goroutine gets the P of a goroutine
// that entered a blocking system call. On one P (run.sh sets GOMAXPROCS=1),
// main starts a goroutine that records when it first runs, then blocks in
// a 5 ms nanosleep system call (entersyscall; sysmon retakes the P and
// hands it on). Reports the median delay, N rounds, and the 90th
// percentile as handoff.p90.
// With the argument "fresh", main sleeps 1 ms before each round, so each
// call starts a fresh time slice (see handoff_gort.rs).
// Usage: handoff [N [fresh]]   (default 200)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	n := 200
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	fresh := len(os.Args) > 2 && os.Args[2] == "fresh"
	lat := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		if fresh {
			time.Sleep(time.Millisecond)
		}
		var ran atomic.Int64
		done := make(chan struct{})
		start := time.Now()
		go func() {
			ran.Store(time.Since(start).Nanoseconds())
			close(done)
		}()
		ts := syscall.Timespec{Nsec: 5_000_000}
		syscall.Nanosleep(&ts, nil)
		<-done
		lat = append(lat, float64(ran.Load())/1e3)
	}
	sort.Float64s(lat)
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("RESULT handoff go %.1f us procs=%d\n", lat[len(lat)/2], procs)
	fmt.Printf("RESULT handoff.p90 go %.1f us procs=%d\n", lat[len(lat)*9/10], procs)
}
