// fib / Go: recursive Fibonacci, for the cost of a function-entry check
// (Go's stack-bound prologue). Reports ns per call.
// Usage: fib [N]   (default 32)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

//go:noinline
func fib(n uint64) uint64 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	n := uint64(32)
	if len(os.Args) > 1 {
		v, _ := strconv.Atoi(os.Args[1])
		n = uint64(v)
	}
	calls := 2*fibIter(n+1) - 1
	t := time.Now()
	r := fib(n)
	el := time.Since(t)
	if r != fibIter(n) {
		panic("wrong")
	}
	fmt.Printf("RESULT fib go %.2f ns/call procs=%d\n", float64(el.Nanoseconds())/float64(calls), runtime.GOMAXPROCS(0))
}

func fibIter(n uint64) uint64 {
	a, b := uint64(0), uint64(1)
	for i := uint64(0); i < n; i++ {
		a, b = b, a+b
	}
	return a
}
