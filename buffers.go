// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"math/bits"
	"sync"
)

// Buffers for frames, pooled by size class (powers of two from 512 bytes to
// 16 MiB), so that a connection reading or writing large messages does not
// allocate for each one, and an idle process does not hold them: sync.Pool
// lets its contents go over two garbage collections.
//
// A buffer is owned by one goroutine at a time: whoever got it hands it on
// (a frame to the writer, a received frame to its call) or releases it.

const (
	minBufferClass = 9  // 512 bytes
	maxBufferClass = 24 // 16 MiB, the protocol's hard cap on a frame
)

var bufferPools [maxBufferClass + 1]sync.Pool

// getBuffer returns an empty buffer with room for a small frame.
func getBuffer() *[]byte {
	return getBufferCap(0)
}

// getBufferCap returns an empty buffer with a capacity of at least n.
func getBufferCap(n int) *[]byte {
	class := bufferClass(n)
	if class > maxBufferClass {
		b := make([]byte, 0, n)
		return &b
	}
	if b, ok := bufferPools[class].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1<<class)
	return &b
}

// getBufferLen returns a buffer of length n.
func getBufferLen(n int) *[]byte {
	b := getBufferCap(n)
	*b = (*b)[:n]
	return b
}

// releaseBuffer returns b to the pool of the largest class it can serve.
func releaseBuffer(b *[]byte) {
	if b == nil {
		return
	}
	c := cap(*b)
	if c < 1<<minBufferClass {
		return
	}
	class := bits.Len(uint(c)) - 1 // the largest class with 1<<class <= c
	if class > maxBufferClass {
		return
	}
	*b = (*b)[:0]
	bufferPools[class].Put(b)
}

// bufferClass returns the smallest class whose buffers hold n bytes.
func bufferClass(n int) int {
	if n <= 1<<minBufferClass {
		return minBufferClass
	}
	return bits.Len(uint(n - 1))
}
