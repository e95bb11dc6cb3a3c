// HTTP competitor: Go on a raw net.Listener — one goroutine per connection,
// a bufio.Reader, the request parsed by hand, a fixed response written. The
// shape a minimal Rust server with httparse has: read until "\r\n\r\n", take
// the path from the request line, look only at the Connection header, answer.
// GET-style requests only (a request body is not read). Pipelined requests
// are answered in order; responses are flushed when no more input is buffered.
// Routes and /work computation: as bench/http/go_nethttp.
//
// Usage: go_raw [addr]   (default 127.0.0.1:8080)
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"time"
)

var (
	helloResp = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, World!\n")
	keepAlive = []byte("Connection: keep-alive\r\n")
	closeHdr  = []byte("Connection: close\r\n")
)

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

// queryMS returns N of "ms=N" in the target's query, or 1.
func queryMS(target []byte) int {
	q := bytes.IndexByte(target, '?')
	if q < 0 {
		return 1
	}
	for _, kv := range bytes.Split(target[q+1:], []byte("&")) {
		if bytes.HasPrefix(kv, []byte("ms=")) {
			if n, err := strconv.Atoi(string(kv[3:])); err == nil && n >= 0 {
				return n
			}
		}
	}
	return 1
}

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 4096)
	w := bufio.NewWriterSize(c, 4096)
	for {
		// The request head: the request line, then header lines up to an empty one.
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		start := time.Now()
		// "GET /path HTTP/1.1\r\n"
		sp1 := bytes.IndexByte(line, ' ')
		sp2 := bytes.LastIndexByte(line, ' ')
		if sp1 < 0 || sp2 <= sp1 {
			return
		}
		target := append([]byte(nil), line[sp1+1:sp2]...)
		http10 := bytes.HasPrefix(line[sp2+1:], []byte("HTTP/1.0"))
		keep := !http10
		for {
			h, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(h) <= 2 { // "\r\n": end of the head
				break
			}
			if len(h) > 11 && bytes.EqualFold(h[:11], []byte("connection:")) {
				v := bytes.TrimSpace(h[11:])
				if bytes.EqualFold(v, []byte("close")) {
					keep = false
				} else if bytes.EqualFold(v, []byte("keep-alive")) {
					keep = true
				}
			}
		}
		path := target
		if q := bytes.IndexByte(path, '?'); q >= 0 {
			path = path[:q]
		}
		var resp []byte
		switch string(path) {
		case "/":
			resp = helloResp
		case "/work":
			body := fmt.Sprintf("work %016x\n", spin(start, queryMS(target)))
			resp = []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		default:
			resp = []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
		}
		// Status line + headers, then the Connection header where HTTP/1.0
		// needs it (ab -k) or the connection ends, then the blank line + body.
		head := bytes.Index(resp, []byte("\r\n\r\n")) + 2
		w.Write(resp[:head])
		if !keep {
			w.Write(closeHdr)
		} else if http10 {
			w.Write(keepAlive)
		}
		w.Write(resp[head:])
		if !keep {
			w.Flush()
			return
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

func main() {
	addr := "127.0.0.1:8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("go-raw listening on %s", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serve(c)
	}
}
