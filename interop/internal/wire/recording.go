// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Direction says who sent a recorded frame.
type Direction byte

const (
	// ClientToServer marks a frame the client sent ("c" in a file).
	ClientToServer Direction = 'c'
	// ServerToClient marks a frame the server sent ("s" in a file).
	ServerToClient Direction = 's'
)

// Event is one recorded frame and its direction.
type Event struct {
	Dir   Direction
	Frame Frame
}

// Recording is the frames of one connection, in the order they crossed it.
//
// Its file form (*.frames) is text, one line per frame, so that a change
// shows in a diff:
//
//	# comment lines start with '#'; blank lines are ignored
//	c 0000000e 00000001 01 00 0a0c...
//	s 00000008 00000001 02 00 1206...
//
// Each frame line holds the direction ("c" client to server, "s" server to
// client), then the 10-byte header as length (8 hex digits), stream id (8),
// type (2) and flags (2), then the data in hex (absent when the length is
// zero). Concatenating header and data, as hex-decoded, gives the frame's
// exact bytes on the wire.
type Recording struct {
	Comments []string // without the leading "# "
	Events   []Event
}

// Marshal encodes r in its file form.
func (r *Recording) Marshal() []byte {
	var b bytes.Buffer
	for _, c := range r.Comments {
		if c == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + c + "\n")
	}
	for _, e := range r.Events {
		f := e.Frame
		fmt.Fprintf(&b, "%c %08x %08x %02x %02x", e.Dir, f.Length, f.StreamID, f.Type, f.Flags)
		if len(f.Data) > 0 {
			b.WriteByte(' ')
			b.WriteString(hex.EncodeToString(f.Data))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseRecording decodes the file form of a recording. A frame whose
// length does not match its data is an error.
func ParseRecording(data []byte) (*Recording, error) {
	r := &Recording{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 2*MaxLength+1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "#"):
			r.Comments = append(r.Comments, strings.TrimPrefix(strings.TrimPrefix(text, "#"), " "))
			continue
		}
		e, err := parseEvent(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		r.Events = append(r.Events, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func parseEvent(text string) (Event, error) {
	fields := strings.Fields(text)
	if len(fields) != 5 && len(fields) != 6 {
		return Event{}, fmt.Errorf("want 5 or 6 fields, have %d", len(fields))
	}
	var e Event
	switch fields[0] {
	case "c":
		e.Dir = ClientToServer
	case "s":
		e.Dir = ServerToClient
	default:
		return Event{}, fmt.Errorf("unknown direction %q", fields[0])
	}
	widths := []int{32, 32, 8, 8}
	values := make([]uint64, 4)
	for i, w := range widths {
		v, err := strconv.ParseUint(fields[i+1], 16, w)
		if err != nil {
			return Event{}, fmt.Errorf("header field %d: %w", i+1, err)
		}
		values[i] = v
	}
	var data []byte
	if len(fields) == 6 {
		var err error
		if data, err = hex.DecodeString(fields[5]); err != nil {
			return Event{}, fmt.Errorf("data: %w", err)
		}
	}
	e.Frame = Frame{
		Header: Header{
			Length:   uint32(values[0]),
			StreamID: uint32(values[1]),
			Type:     byte(values[2]),
			Flags:    byte(values[3]),
		},
		Data: data,
	}
	if int(e.Frame.Length) != len(data) {
		return Event{}, fmt.Errorf("length %d but %d bytes of data", e.Frame.Length, len(data))
	}
	return e, nil
}
