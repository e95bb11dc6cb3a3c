// HTTP competitor: Go's net/http, default settings (GOMAXPROCS from the
// environment; http.sh sets 2). Routes, as every server in bench/http:
//
//	/           200 "Hello, World!\n" (text/plain, Content-Length)
//	/work?ms=N  N ms of CPU work (xorshift64 steps, the monotonic clock read
//	            every 1000 steps, until N ms have passed since the handler
//	            started; default N = 1), then 200 "work <x>\n" (x = the final
//	            xorshift state, 16 hex digits)
//
// Usage: go_nethttp [addr]   (default 127.0.0.1:8080)
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

var hello = []byte("Hello, World!\n")

// spin burns CPU for ms milliseconds from start: the same loop in every server.
func spin(start time.Time, ms int) uint64 {
	x := uint64(0x9E3779B97F4A7C15)
	d := time.Duration(ms) * time.Millisecond
	for {
		for i := 0; i < 1000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		if time.Since(start) >= d {
			return x
		}
	}
}

func main() {
	addr := "127.0.0.1:8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", "14")
		w.Write(hello)
	})
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			ms = 1
		}
		body := fmt.Sprintf("work %016x\n", spin(start, ms))
		h := w.Header()
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write([]byte(body))
	})
	log.Printf("go-nethttp listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
