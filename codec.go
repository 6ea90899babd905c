// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// codec turns call messages into bytes and back. Messages must implement
// proto.Message (google.golang.org/protobuf).
type codec struct{}

// marshal encodes msg; a nil msg encodes as an empty message.
func (codec) marshal(msg interface{}) ([]byte, error) {
	if msg == nil {
		return nil, nil
	}
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("ttrpc: cannot marshal unknown type %T", msg)
	}
	return proto.Marshal(m)
}

// unmarshal decodes p into msg, which must be a non-nil proto.Message.
func (codec) unmarshal(p []byte, msg interface{}) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return fmt.Errorf("ttrpc: cannot unmarshal into unknown type %T", msg)
	}
	return proto.Unmarshal(p, m)
}

// encodeMessage marshals msg into a pooled buffer, refusing a message over
// limit bytes with an *OversizedMessageErr.
func encodeMessage(msg proto.Message, limit int) (*[]byte, error) {
	data := getBuffer()
	encoded, err := proto.MarshalOptions{}.MarshalAppend(*data, msg)
	*data = encoded
	if err == nil && len(encoded) > limit {
		err = oversizedMessageError(len(encoded), limit)
	}
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	return data, nil
}
