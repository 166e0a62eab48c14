// lumberclient: a Lumberjack v2 client built on github.com/elastic/go-lumber, the library Filebeat's
// Logstash output uses. It sends events to a beats input and reports, as one JSON object on stdout,
// how many were sent and acknowledged.
//
// Events come from a JSONL file (-input, one JSON object per line, sent as-is) or are generated
// (-n). They are split round-robin over -concurrency connections; each connection sends windows of
// -window events, with -pipelining windows in flight (0: wait for each ACK, as Filebeat's
// pipelining: 0). A failed window (error, EOF, timeout) is resent on a new connection as Filebeat
// does, up to -retries times; resends are counted so tests can tell duplicates from loss.
//
// Exit status: 0 when every event was acknowledged, 1 otherwise, 2 on usage errors.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	v2 "github.com/elastic/go-lumber/client/v2"
)

type config struct {
	addr        string
	n           int
	input       string
	window      int
	concurrency int
	pipelining  int
	compress    int
	timeout     time.Duration
	retries     int
	backoff     time.Duration
	useTLS      bool
	ca          string
	cert        string
	key         string
	serverName  string
	insecure    bool
	tlsMin      string
	tlsMax      string
	beat        string
	size        int
}

type report struct {
	Sent          int64    `json:"sent"`
	Acked         int64    `json:"acked"`
	Windows       int64    `json:"windows"`
	WindowsAcked  int64    `json:"windows_acked"`
	ResentWindows int64    `json:"resent_windows"`
	ResentEvents  int64    `json:"resent_events"`
	Connections   int64    `json:"connections"`
	Errors        []string `json:"errors"`
	ElapsedSec    float64  `json:"elapsed_s"`
	EventsPerSec  float64  `json:"events_per_s"`
	TLSVersion    string   `json:"tls_version,omitempty"`
}

type stats struct {
	acked, windowsAcked, resentWindows, resentEvents, connections atomic.Int64
	mu                                                            sync.Mutex
	errors                                                        []string
	tlsVersion                                                    string
}

func (s *stats) addError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errors) < 20 {
		s.errors = append(s.errors, err.Error())
	}
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:5044", "server host:port")
	flag.IntVar(&c.n, "n", 0, "number of events to generate (ignored with -input)")
	flag.StringVar(&c.input, "input", "", "JSONL file: one JSON object per line, sent as-is")
	flag.IntVar(&c.window, "window", 2048, "events per window (Filebeat's bulk_max_size)")
	flag.IntVar(&c.concurrency, "concurrency", 1, "parallel connections")
	flag.IntVar(&c.pipelining, "pipelining", 0, "windows in flight per connection before waiting for ACKs (0: synchronous)")
	flag.IntVar(&c.compress, "compress", 3, "zlib compression level 0..9 (0: no C frame)")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "dial, write and per-ACK read timeout")
	flag.IntVar(&c.retries, "retries", 3, "resends of a failed window before giving up")
	flag.DurationVar(&c.backoff, "backoff", 200*time.Millisecond, "wait before reconnecting after an error")
	flag.BoolVar(&c.useTLS, "tls", false, "connect with TLS")
	flag.StringVar(&c.ca, "ca", "", "PEM CA file to verify the server (TLS)")
	flag.StringVar(&c.cert, "cert", "", "PEM client certificate (mutual TLS)")
	flag.StringVar(&c.key, "key", "", "PEM client key (mutual TLS)")
	flag.StringVar(&c.serverName, "server-name", "", "TLS server name (default: host of -addr)")
	flag.BoolVar(&c.insecure, "insecure", false, "do not verify the server certificate")
	flag.StringVar(&c.tlsMin, "tls-min", "", "minimum TLS version: 1.2 or 1.3")
	flag.StringVar(&c.tlsMax, "tls-max", "", "maximum TLS version: 1.2 or 1.3")
	flag.StringVar(&c.beat, "beat", "filebeat", "@metadata.beat of generated events")
	flag.IntVar(&c.size, "size", 0, "pad generated messages to at least this many bytes")
	flag.Parse()

	if c.window <= 0 || c.concurrency <= 0 || c.pipelining < 0 || (c.input == "" && c.n <= 0) {
		fmt.Fprintln(os.Stderr, "lumberclient: need -n > 0 or -input, -window > 0, -concurrency > 0")
		os.Exit(2)
	}
	events, err := loadEvents(&c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lumberclient:", err)
		os.Exit(2)
	}
	dial, err := dialer(&c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lumberclient:", err)
		os.Exit(2)
	}

	var st stats
	start := time.Now()
	var wg sync.WaitGroup
	var windows int64
	for w := 0; w < c.concurrency; w++ {
		var mine []interface{}
		for i := w; i < len(events); i += c.concurrency {
			mine = append(mine, events[i])
		}
		var batches [][]interface{}
		for len(mine) > 0 {
			k := c.window
			if k > len(mine) {
				k = len(mine)
			}
			batches = append(batches, mine[:k])
			mine = mine[k:]
		}
		windows += int64(len(batches))
		wg.Add(1)
		go func() {
			defer wg.Done()
			runConnection(&c, dial, batches, &st)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	r := report{
		Sent:          int64(len(events)),
		Acked:         st.acked.Load(),
		Windows:       windows,
		WindowsAcked:  st.windowsAcked.Load(),
		ResentWindows: st.resentWindows.Load(),
		ResentEvents:  st.resentEvents.Load(),
		Connections:   st.connections.Load(),
		Errors:        st.errors,
		ElapsedSec:    elapsed,
		TLSVersion:    st.tlsVersion,
	}
	if r.Errors == nil {
		r.Errors = []string{}
	}
	if elapsed > 0 {
		r.EventsPerSec = float64(r.Acked) / elapsed
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if r.Acked != r.Sent {
		os.Exit(1)
	}
}

func loadEvents(c *config) ([]interface{}, error) {
	var events []interface{}
	if c.input != "" {
		f, err := os.Open(c.input)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				continue
			}
			if !json.Valid(line) {
				return nil, fmt.Errorf("%s: line %d is not JSON", c.input, len(events)+1)
			}
			// json.RawMessage is sent byte for byte (json.Marshal only compacts it).
			events = append(events, json.RawMessage(append([]byte(nil), line...)))
		}
		return events, sc.Err()
	}
	pad := ""
	ts := time.Date(2024, 5, 14, 9, 21, 7, 0, time.UTC)
	for i := 0; i < c.n; i++ {
		msg := fmt.Sprintf("event %d", i)
		if len(msg) < c.size {
			if len(pad) < c.size {
				pad = string(make([]byte, 0, c.size))
				for len(pad) < c.size {
					pad += "x"
				}
			}
			msg += " " + pad[:c.size-len(msg)]
		}
		events = append(events, map[string]interface{}{
			"@timestamp": ts.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
			"@metadata":  map[string]interface{}{"beat": c.beat, "type": "_doc", "version": "7.17.21"},
			"message":    msg,
			"seq":        i,
			"log":        map[string]interface{}{"offset": i * 100, "file": map[string]interface{}{"path": "/var/log/app.log"}},
			"input":      map[string]interface{}{"type": "log"},
			"host":       map[string]interface{}{"name": "peer-host"},
			"agent":      map[string]interface{}{"type": c.beat, "version": "7.17.21", "hostname": "peer-host"},
			"ecs":        map[string]interface{}{"version": "1.12.0"},
		})
	}
	return events, nil
}

func tlsVersion(s string) (uint16, error) {
	switch s {
	case "":
		return 0, nil
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q", s)
}

type dialFunc func(network, address string) (net.Conn, error)

func dialer(c *config) (dialFunc, error) {
	nd := &net.Dialer{Timeout: c.timeout}
	if !c.useTLS {
		return nd.Dial, nil
	}
	tc := &tls.Config{InsecureSkipVerify: c.insecure, ServerName: c.serverName}
	if c.ca != "" {
		pem, err := os.ReadFile(c.ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate found", c.ca)
		}
		tc.RootCAs = pool
	}
	if c.cert != "" {
		pair, err := tls.LoadX509KeyPair(c.cert, c.key)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	var err error
	if tc.MinVersion, err = tlsVersion(c.tlsMin); err != nil {
		return nil, err
	}
	if tc.MaxVersion, err = tlsVersion(c.tlsMax); err != nil {
		return nil, err
	}
	return func(network, address string) (net.Conn, error) {
		return tls.DialWithDialer(nd, network, address, tc)
	}, nil
}

// runConnection sends `batches` over one connection at a time, reconnecting and resending failed
// windows (whole windows, as Filebeat does) until all are acknowledged or retries run out.
func runConnection(c *config, dial dialFunc, batches [][]interface{}, st *stats) {
	pending := batches
	sent := false // a window went out on a connection: the next attempt resends it
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if attempt > c.retries {
				return
			}
			if sent {
				st.resentWindows.Add(int64(len(pending)))
				for _, b := range pending {
					st.resentEvents.Add(int64(len(b)))
				}
			}
			time.Sleep(c.backoff)
		}
		conn, err := dial("tcp", c.addr)
		if err != nil {
			st.addError(err)
			sent = false
			continue
		}
		sent = true
		st.connections.Add(1)
		if tc, ok := conn.(*tls.Conn); ok {
			st.mu.Lock()
			switch tc.ConnectionState().Version {
			case tls.VersionTLS12:
				st.tlsVersion = "TLSv1.2"
			case tls.VersionTLS13:
				st.tlsVersion = "TLSv1.3"
			}
			st.mu.Unlock()
		}
		opts := []v2.Option{v2.Timeout(c.timeout), v2.CompressionLevel(c.compress)}
		if c.pipelining == 0 {
			pending = sendSync(conn, opts, pending, st)
		} else {
			pending = sendAsync(conn, opts, c.pipelining, pending, st)
		}
	}
}

func sendSync(conn net.Conn, opts []v2.Option, batches [][]interface{}, st *stats) [][]interface{} {
	cl, err := v2.NewSyncClientWithConn(conn, opts...)
	if err != nil {
		st.addError(err)
		conn.Close()
		return batches
	}
	defer cl.Close()
	for i, b := range batches {
		n, err := cl.Send(b)
		if err != nil || n != len(b) {
			if err == nil {
				err = fmt.Errorf("window of %d events acknowledged up to %d", len(b), n)
			}
			st.addError(err)
			return batches[i:]
		}
		st.acked.Add(int64(n))
		st.windowsAcked.Add(1)
	}
	return nil
}

func sendAsync(conn net.Conn, opts []v2.Option, inflight int, batches [][]interface{}, st *stats) [][]interface{} {
	cl, err := v2.NewAsyncClientWithConn(conn, inflight, opts...)
	if err != nil {
		st.addError(err)
		conn.Close()
		return batches
	}
	var mu sync.Mutex
	var failed [][]interface{}
	var done sync.WaitGroup
	sent := 0
	for _, b := range batches {
		b := b
		done.Add(1)
		err := cl.Send(func(seq uint32, err error) {
			defer done.Done()
			if err == nil && int(seq) == len(b) {
				st.acked.Add(int64(seq))
				st.windowsAcked.Add(1)
				return
			}
			if err != nil {
				st.addError(err)
			}
			mu.Lock()
			failed = append(failed, b)
			mu.Unlock()
		}, b)
		sent++
		if err != nil {
			break
		}
	}
	done.Wait()
	cl.Close()
	// Windows never handed to Send are resent too.
	failed = append(failed, batches[sent:]...)
	return failed
}
