// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// outFrame is one frame waiting in a connection's send queue. Its data is a
// pooled buffer that the writer goroutine releases once written.
type outFrame struct {
	streamID uint32
	typ      frameType
	flags    uint8
	data     *[]byte
	// call, for a client's request frame, is the call the writer registers
	// (and so gives its stream id) just before writing; nil otherwise.
	call *call
}

// sendQueueLength is the capacity of a connection's send queue. Callers
// wait (or give up with their context) when it is full; the writer drains
// everything queued before it flushes, so a full queue goes out in few writes.
const sendQueueLength = 64

// writeFrames is the loop of a connection's writer goroutine. It writes the
// frames of queue in order and flushes whenever the queue is empty, so that
// frames queued together leave in one write. prepare, if set, runs before a
// frame is written, may change it, and may drop it (returning false). The loop returns nil
// when done closes, or when drained is closed and every queued frame has
// been flushed; it returns the first write error.
func writeFrames(ch *channel, queue <-chan outFrame, done, drained <-chan struct{}, prepare func(outFrame) (outFrame, bool)) error {
	for {
		var f outFrame
		select {
		case f = <-queue:
		default:
			if err := ch.flush(); err != nil {
				return err
			}
			select {
			case f = <-queue:
			case <-done:
				return nil
			case <-drained:
				if len(queue) > 0 {
					continue
				}
				return nil
			}
		}
		if prepare != nil {
			var ok bool
			if f, ok = prepare(f); !ok {
				releaseBuffer(f.data)
				continue
			}
		}
		err := ch.send(f.streamID, f.typ, f.flags, *f.data)
		releaseBuffer(f.data)
		if err != nil {
			return err
		}
	}
}

// isDone reports whether done is closed.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
