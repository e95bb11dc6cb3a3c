// sleepers / Go: N goroutines (default 1,000,000) each sleep a pseudo-random
// 0–1 s (goroutine i sleeps splitmix64(i) mod 1,000,000 µs: deterministic,
// the same durations in every implementation), main waits on a WaitGroup.
// Measures the timer heap and mass parking: the ideal wall time is ~1 s.
// Reports wall ms (spawn + all sleeps) and `sleepers.rss`: the peak RSS
// (VmHWM, MiB) of the whole process.
// Usage: sleepers [N]
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

// sleepFor is goroutine i's sleep: splitmix64(i) mod 1 s, in µs.
func sleepFor(i uint64) time.Duration {
	z := i + 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return time.Duration(z%1_000_000) * time.Microsecond
}

func vmHWM() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return float64(kb) / 1024
		}
	}
	return -1
}

func main() {
	n := 1_000_000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i uint64) {
			time.Sleep(sleepFor(i))
			wg.Done()
		}(uint64(i))
	}
	wg.Wait()
	elapsed := time.Since(start)
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("RESULT sleepers go %.1f ms procs=%d\n", float64(elapsed.Nanoseconds())/1e6, procs)
	fmt.Printf("RESULT sleepers.rss go %.1f MiB procs=%d\n", vmHWM(), procs)
}
