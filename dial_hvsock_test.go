// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// fakeVM is the Unix socket of a VMM's hybrid vsock (as Firecracker and
// Cloud Hypervisor have): each connection sends "CONNECT <port>\n", and
// answer decides what the VMM does then. Connections it answers with OK
// go to guest, a listener that a ttrpc server serves, as if to the guest's
// agent.
type fakeVM struct {
	path     string
	l        net.Listener
	guest    *chanListener
	answer   func(line string, conn net.Conn, done <-chan struct{}) bool // true: conn goes to guest
	accepted atomic.Int32
	done     chan struct{} // closed when the test ends: silent VMs give up
	wg       sync.WaitGroup
}

// newFakeVM starts a fake VMM whose guest serves the test services; it
// stops when the test ends.
func newFakeVM(t *testing.T, answer func(line string, conn net.Conn, done <-chan struct{}) bool) *fakeVM {
	t.Helper()
	vm := &fakeVM{path: socketPath(t), answer: answer, done: make(chan struct{}), guest: newChanListener()}
	l, err := net.Listen("unix", vm.path)
	if err != nil {
		t.Fatal(err)
	}
	vm.l = l
	serveListener(t, vm.guest)
	vm.wg.Add(1)
	// Owner: the test's cleanup, which closes l and done and waits.
	go vm.acceptLoop()
	t.Cleanup(func() {
		close(vm.done)
		l.Close()
		vm.wg.Wait()
	})
	return vm
}

func (vm *fakeVM) acceptLoop() {
	defer vm.wg.Done()
	for {
		conn, err := vm.l.Accept()
		if err != nil {
			return
		}
		vm.accepted.Add(1)
		vm.wg.Add(1)
		// Owner: vm.wg. It ends after one answer (or when done closes).
		go func() {
			defer vm.wg.Done()
			line, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
			if err == nil && vm.answer(line, conn, vm.done) && vm.guest.give(conn) {
				return
			}
			conn.Close()
		}()
	}
}

// address is the hybrid vsock address of the guest's port 1024.
func (vm *fakeVM) address() string { return "hvsock://" + vm.path + ":1024" }

// answerOK answers CONNECT 1024 as a VMM does when the guest listens.
func answerOK(line string, conn net.Conn, _ <-chan struct{}) bool {
	if line != "CONNECT 1024\n" {
		return false
	}
	_, err := io.WriteString(conn, "OK 1073741824\n")
	return err == nil
}

// chanListener is a net.Listener for connections handed to it.
type chanListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) give(conn net.Conn) bool {
	select {
	case l.conns <- conn:
		return true
	case <-l.closed:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case conn := <-l.conns:
		return conn, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.UnixAddr{Net: "unix", Name: "guest"} }

func TestHybridVsock(t *testing.T) {
	leakcheck.Check(t)
	vm := newFakeVM(t, answerOK)
	if got := peerOf(t, vm.address()); !strings.HasPrefix(got, "unix ") {
		t.Errorf("PeerAddr = %q", got)
	}
	if got := peerOf(t, "hvsock:///"+strings.TrimPrefix(vm.path, "/")+":1024"); got == "" {
		t.Error("no answer over hvsock:///path:port")
	}
}

// What the guest sends right after the VMM's OK line is not eaten by the
// handshake.
func TestHybridVsockKeepsDataAfterOK(t *testing.T) {
	leakcheck.Check(t)
	vm := newFakeVM(t, func(_ string, conn net.Conn, _ <-chan struct{}) bool {
		io.WriteString(conn, "OK 7\nguest speaks first")
		return false
	})
	conn, err := Dial(context.Background(), vm.address())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(conn)
	if string(got) != "guest speaks first" || err != nil {
		t.Errorf("read %q, %v after the handshake; want what followed OK", got, err)
	}
}

// Every misbehaving VMM makes Dial fail with ErrHybridVsockHandshake, an
// error naming the address and what went wrong, in about the handshake
// timeout at most, and leaves no connection behind.
func TestHybridVsockMisbehavingVM(t *testing.T) {
	leakcheck.Check(t)
	const timeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name, reply string
		silent      bool
		want        string
	}{
		{name: "wrong answer", reply: "FAILURE\n", want: `CONNECT 1024 answered "FAILURE", want "OK <port>"`},
		{name: "OK without port", reply: "OK\n", want: `answered "OK"`},
		{name: "OK with junk", reply: "OK x1\n", want: `answered "OK x1"`},
		{name: "endless line", reply: "OK 1234567890123456789012345\n", want: `answered "OK 1234567890123`},
		{name: "close mid-answer", reply: "OK 10", want: "the VM closed the connection before answering CONNECT 1024"},
		{name: "close at once", reply: "", want: "the VM closed the connection before answering"},
		{name: "silence", silent: true, want: "no answer to CONNECT 1024 within 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := newFakeVM(t, func(_ string, conn net.Conn, done <-chan struct{}) bool {
				if tc.silent {
					<-done
					return false
				}
				io.WriteString(conn, tc.reply)
				return false
			})
			start := time.Now()
			conn, err := Dial(context.Background(), vm.address(), WithHybridVsockHandshakeTimeout(timeout))
			elapsed := time.Since(start)
			if conn != nil {
				conn.Close()
			}
			if !errors.Is(err, ErrHybridVsockHandshake) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), vm.address()) {
				t.Fatalf("Dial = %v; want ErrHybridVsockHandshake naming %s and saying %q", err, vm.address(), tc.want)
			}
			if elapsed > timeout+2*time.Second {
				t.Errorf("Dial took %v, with a handshake timeout of %v", elapsed, timeout)
			}
		})
	}
}

// The dial's context bounds the handshake too: a silent VMM and a context
// ended early give the context's error, long before the handshake timeout.
func TestHybridVsockContextEndsHandshake(t *testing.T) {
	leakcheck.Check(t)
	vm := newFakeVM(t, func(_ string, _ net.Conn, done <-chan struct{}) bool { <-done; return false })
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		ctx, cancel := tc.ctx()
		start := time.Now()
		_, err := Dial(ctx, vm.address())
		cancel()
		if !errors.Is(err, tc.want) || time.Since(start) > 5*time.Second {
			t.Errorf("%s: Dial = %v after %v; want %v soon", tc.name, err, time.Since(start), tc.want)
		}
	}
}

// Listen on a hybrid vsock address listens where the VMM forwards the
// guest's connections to the port: the Unix socket path_port.
func TestHybridVsockListenForGuest(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	listenAndServe(t, "hvsock://"+path+":5000")
	peerOf(t, "unix://"+path+"_5000")
}
