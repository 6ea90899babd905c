// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves registered services on any number of listeners.
//
// All methods are safe for concurrent use. Each accepted connection gets
// its own goroutine (which runs the handshake and then reads frames), a
// writer goroutine, and a goroutine for each request in flight (kept for a
// while after, for the next requests); the connection owns and waits for
// all of them.
type Server struct {
	config   serverConfig
	services *serviceSet
	// The interceptor chains, or nil; built once in NewServer.
	unary  UnaryServerInterceptor
	stream StreamServerInterceptor

	counts inFlightCounts // calls and streams in flight, over all connections
	// Atomics of the server-wide limits (server_admission.go,
	// server_conn_limit.go), safe for concurrent use without a lock.
	inFlight      atomic.Int64 // calls holding a slot of WithServerMaxInFlight
	refusedConns  atomic.Int64 // connections closed over the limit since the last log line
	refusalLogged atomic.Int64 // when that line was logged, in Unix nanoseconds

	mu sync.Mutex
	// guarded by mu:
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	state     serverState

	stopOnce  sync.Once
	stopped   chan struct{} // closed when Shutdown or Close begins
	goneOnce  sync.Once
	connsGone chan struct{} // closed when stopped and the last connection has gone
}

type serverState uint8

const (
	serverServing serverState = iota
	serverShuttingDown
	serverClosed
)

// Backoff between temporary accept errors.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// NewServer returns a server configured by opts. It fails when an option is
// invalid, for example a second handshaker.
func NewServer(opts ...ServerOpt) (*Server, error) {
	config := defaultServerConfig()
	for _, opt := range opts {
		if err := opt(&config); err != nil {
			return nil, err
		}
	}
	s := &Server{
		config:    config,
		services:  newServiceSet(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*serverConn]struct{}),
		stopped:   make(chan struct{}),
		connsGone: make(chan struct{}),
	}
	if config.interceptors != nil {
		config.interceptors(s)
	}
	return s, nil
}

// Register registers the unary methods of service name. It may be called
// while the server serves; registering a name twice panics.
func (s *Server) Register(name string, methods map[string]Method) {
	s.services.register(name, &ServiceDesc{Methods: methods})
}

// RegisterService registers the methods and streams of service name. It may
// be called while the server serves; registering a name twice panics.
func (s *Server) RegisterService(name string, desc *ServiceDesc) {
	s.services.register(name, desc)
}

// Serve accepts connections on l and serves them until Shutdown or Close,
// then returns ErrServerClosed. Temporary accept errors are retried with a
// backoff; any other accept error is returned. Handlers run under contexts
// derived from ctx. Serve closes l when it returns, as containerd's ttrpc
// does, also when the server had stopped before Serve began (it then
// returns ErrServerClosed at once). A nil l is an error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if l == nil {
		return errNilListener
	}
	if !s.addListener(l) {
		return ErrServerClosed
	}
	// Not deferred: a defer adds code at each of acceptLoop's returns, in
	// the minimal server whose size is budgeted.
	err := s.acceptLoop(ctx, l)
	s.removeListener(l)
	return err
}

// acceptLoop is Serve's loop, until l fails or the server stops.
func (s *Server) acceptLoop(ctx context.Context, l net.Listener) error {
	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.isStopped() {
				return ErrServerClosed
			}
			if !isTemporary(err) {
				return err
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			s.config.logger.Debug("ttrpc: temporary accept error", "error", err, "retry", backoff)
			if !s.sleep(backoff) {
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		sc, serving := s.addConn(ctx, conn)
		if sc == nil {
			conn.Close()
			if !serving {
				return ErrServerClosed
			}
			s.logRefusedConn() // over the limit of connections
			continue
		}
		// Owner: s, through s.conns. sc.serve exits when the connection has
		// ended and all its goroutines have returned; Shutdown waits for it.
		go sc.serve()
	}
}

// Counts returns the server's current figures: open connections, and calls
// and streams in flight. A call or stream leaves them only after its end
// has gone to the StatsHandler.
func (s *Server) Counts() ServerCounts {
	s.mu.Lock()
	conns := len(s.conns)
	s.mu.Unlock()
	return ServerCounts{
		Connections: conns,
		Calls:       int(s.counts.calls.Load()),
		Streams:     int(s.counts.streams.Load()),
		Abandoned:   int(s.counts.abandoned.Load()),
	}
}

// Shutdown stops accepting connections and lets every request already
// received finish and get its response; each connection closes as soon as
// it has no request in flight, and requests that arrive on it meanwhile are
// refused with UNAVAILABLE. Shutdown returns when all connections have
// closed, or with the context's error when ctx ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.state == serverServing {
		s.state = serverShuttingDown
	}
	err := s.stopLocked()
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.checkGoneLocked()
	s.mu.Unlock()
	for _, sc := range conns {
		sc.beginShutdown()
	}
	select {
	case <-s.connsGone:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server at once: it closes the listeners and every
// connection without waiting for requests in flight, whose handlers see
// their context cancelled. It returns the first error from closing a
// listener.
func (s *Server) Close() error {
	s.mu.Lock()
	s.state = serverClosed
	err := s.stopLocked()
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.checkGoneLocked()
	s.mu.Unlock()
	for _, sc := range conns {
		sc.terminate(ErrServerClosed)
	}
	return err
}

// stopLocked marks the server stopped and closes its listeners, so that
// every Serve returns.
func (s *Server) stopLocked() error {
	s.stopOnce.Do(func() { close(s.stopped) })
	var first error
	for l := range s.listeners {
		if err := l.Close(); err != nil && first == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
		delete(s.listeners, l)
	}
	return first
}

// checkGoneLocked closes connsGone once the server is stopped and has no
// connection left.
func (s *Server) checkGoneLocked() {
	if s.state != serverServing && len(s.conns) == 0 {
		s.goneOnce.Do(func() { close(s.connsGone) })
	}
}

func (s *Server) isStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// sleep waits for d, or returns false when the server stops first.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	slept := true
	select {
	case <-t.C:
	case <-s.stopped:
		slept = false
	}
	t.Stop()
	return slept
}

// addListener registers l with a serving server, so that Shutdown and
// Close close it. On a stopped server it closes l and returns false: Close
// may have run just before Serve. (l is closed outside the lock, which
// Close and Shutdown need.)
func (s *Server) addListener(l net.Listener) bool {
	s.mu.Lock()
	serving := s.state == serverServing
	if serving {
		s.listeners[l] = struct{}{}
	}
	s.mu.Unlock()
	if !serving {
		l.Close()
	}
	return serving
}

// removeListener forgets l and closes it, when Serve returns.
func (s *Server) removeListener(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	l.Close()
}

// addConn registers a new connection on conn with a serving server, within
// its limit of connections. It returns nil (and makes nothing for conn)
// when the server is not serving, or when the limit is reached (serving is
// then true). It and the other short critical sections here unlock without
// defer: each defer adds a function to the minimal server, whose size is
// budgeted (bench's TestBenchShort).
func (s *Server) addConn(ctx context.Context, conn net.Conn) (sc *serverConn, serving bool) {
	s.mu.Lock()
	serving = s.state == serverServing
	if limit := s.config.limits.maxConns; serving && (limit <= 0 || len(s.conns) < limit) {
		sc = newServerConn(ctx, s, conn)
		s.conns[sc] = struct{}{}
	}
	s.mu.Unlock()
	return sc, serving
}

// forgetConn removes a connection whose goroutines have all returned.
func (s *Server) forgetConn(sc *serverConn) {
	s.mu.Lock()
	delete(s.conns, sc)
	s.checkGoneLocked()
	s.mu.Unlock()
}

// isTemporary reports whether an accept error is worth retrying (too many
// open files, a connection aborted before it was accepted, ...).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}
