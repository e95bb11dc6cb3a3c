// idleconns: open N TCP connections to an HTTP server, send one keep-alive
// request on each ("GET / HTTP/1.1"), read its response, then hold every
// connection open and idle. The realistic shape of idle keep-alive clients:
// servers (Go's net/http among them) allocate per-connection buffers at the
// first read, so a connection that never sent anything would undercount.
//
// Prints "READY n=<open> errors=<failed> ms=<time to open all>" once every
// connection is idle, then holds them until SIGTERM/SIGINT or stdin closes
// (when -hold-stdin is given), and exits.
//
// Usage: idleconns [-n 10000] [-c 64] [-path /] addr
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// oneRequest sends a GET and reads its response (headers + Content-Length body).
func oneRequest(c net.Conn, host, path string) error {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		return err
	}
	r := bufio.NewReaderSize(c, 512)
	status, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.Contains(status, " 200 ") {
		return fmt.Errorf("status %q", strings.TrimSpace(status))
	}
	n := 0
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "content-length") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	_, err = io.CopyN(io.Discard, r, int64(n))
	if err == nil && r.Buffered() > 0 {
		err = fmt.Errorf("extra bytes after the response")
	}
	return err
}

func main() {
	n := flag.Int("n", 10000, "connections")
	conc := flag.Int("c", 64, "connections being opened at once")
	path := flag.String("path", "/", "request path")
	holdStdin := flag.Bool("hold-stdin", false, "also exit when stdin closes")
	flag.Parse()
	addr := "127.0.0.1:8080"
	if flag.NArg() > 0 {
		addr = flag.Arg(0)
	}
	var (
		mu     sync.Mutex
		conns  []net.Conn
		failed atomic.Int64
		wg     sync.WaitGroup
		sem    = make(chan struct{}, *conc)
		first  atomic.Value
	)
	start := time.Now()
	for i := 0; i < *n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.DialTimeout("tcp", addr, 30*time.Second)
			if err == nil {
				if err = oneRequest(c, addr, *path); err != nil {
					c.Close()
				}
			}
			if err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, err.Error())
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "idleconns: first error: %v\n", e)
	}
	fmt.Printf("READY n=%d errors=%d ms=%d\n", len(conns), failed.Load(), time.Since(start).Milliseconds())
	os.Stdout.Sync()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if *holdStdin {
		go func() { io.Copy(io.Discard, os.Stdin); stop <- syscall.SIGTERM }()
	}
	<-stop
	for _, c := range conns {
		c.Close()
	}
}
