// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package memconn_test

import (
	"fmt"
	"io"

	"github.com/featherrpc/ttrpc/memconn"
)

// An echo server and its client, in memory.
func Example() {
	l := memconn.Listen()
	defer l.Close()
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.Copy(conn, conn) // until the client closes
	}()

	conn, err := l.Dial()
	if err != nil {
		panic(err)
	}
	if _, err := conn.Write([]byte("ping")); err != nil { // returns once the server has read it
		panic(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil {
		panic(err)
	}
	conn.Close()
	<-echoed
	fmt.Println(string(buf), l.Addr().Network())
	// Output: ping memconn
}
