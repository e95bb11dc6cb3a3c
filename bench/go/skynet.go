// skynet / Go: atemerev/skynet go/skynet.go — every goroutine with size > 1
// makes an unbuffered channel, spawns 10 children, sums their 10 answers and
// sends the sum up; a leaf sends its number. N = 1,000,000 leaves
// (1,111,111 goroutines). Reports wall ms, and a second line `skynet.rss`
// with the peak RSS (VmHWM, MiB) of the whole process.
// Usage: skynet [N]   (default 1000000; a power of 10)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func skynet(c chan int, num int, size int, div int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	var sum int
	for i := 0; i < div; i++ {
		subNum := num + i*(size/div)
		go skynet(rc, subNum, size/div, div)
	}
	for i := 0; i < div; i++ {
		sum += <-rc
	}
	c <- sum
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
	c := make(chan int)
	start := time.Now()
	go skynet(c, 0, n, 10)
	result := <-c
	elapsed := time.Since(start)
	if result != n*(n-1)/2 {
		panic("wrong result")
	}
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("RESULT skynet go %.1f ms procs=%d\n", float64(elapsed.Nanoseconds())/1e6, procs)
	fmt.Printf("RESULT skynet.rss go %.1f MiB procs=%d\n", vmHWM(), procs)
}
