// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"github.com/featherrpc/ttrpc/status/statuspb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The envelopes (Request, Response, KeyValue of request.proto) encoded and
// decoded by hand on the hot path: the call's message is encoded straight
// into the frame (no payload copy) and decoded straight from it (payload
// and names alias the frame). The bytes are exactly those proto.Marshal
// gives for the generated types: fields in number order, proto3 defaults
// omitted. The generated types remain for interceptors, which see them.

// Field numbers of request.proto.
const (
	fieldRequestService  protowire.Number = 1
	fieldRequestMethod   protowire.Number = 2
	fieldRequestPayload  protowire.Number = 3
	fieldRequestTimeout  protowire.Number = 4
	fieldRequestMetadata protowire.Number = 5
	fieldResponseStatus  protowire.Number = 1
	fieldResponsePayload protowire.Number = 2
	fieldKeyValueKey     protowire.Number = 1
	fieldKeyValueValue   protowire.Number = 2
)

var errMalformedEnvelope = errors.New("ttrpc: malformed envelope")

// encodeRequest encodes the Request envelope of a call into a pooled
// buffer of the right size, with msg encoded in place as its payload.
func encodeRequest(service, method string, msg interface{}, timeoutNano int64, md MD) (*[]byte, error) {
	size, err := messageSize(msg)
	if err != nil {
		return nil, err
	}
	room := size + len(service) + len(method) + 32
	for key, values := range md {
		for _, value := range values {
			room += len(key) + len(value) + 16
		}
	}
	data := getBufferCap(room)
	*data, err = appendRequest(*data, service, method, msg, size, timeoutNano, md)
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	return data, nil
}

// appendRequest appends the Request envelope of a call to b, encoding msg
// (of size bytes, from messageSize) in place as its payload.
func appendRequest(b []byte, service, method string, msg interface{}, size int, timeoutNano int64, md MD) ([]byte, error) {
	b = appendStringField(b, fieldRequestService, service)
	b = appendStringField(b, fieldRequestMethod, method)
	b, err := appendMessageField(b, fieldRequestPayload, msg, size)
	if err != nil {
		return b, err
	}
	if timeoutNano != 0 {
		b = protowire.AppendTag(b, fieldRequestTimeout, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(timeoutNano))
	}
	for key, values := range md {
		for _, value := range values {
			size := stringFieldSize(fieldKeyValueKey, key) + stringFieldSize(fieldKeyValueValue, value)
			b = protowire.AppendTag(b, fieldRequestMetadata, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(size))
			b = appendStringField(b, fieldKeyValueKey, key)
			b = appendStringField(b, fieldKeyValueValue, value)
		}
	}
	return b, nil
}

// encodeResponse encodes a Response envelope into a pooled buffer of the
// right size: st (omitted when OK) and msg encoded in place as its payload.
func encodeResponse(st *status.Status, msg interface{}) (*[]byte, error) {
	var encodedStatus []byte
	if st.Code() != codes.OK {
		var err error
		if encodedStatus, err = proto.Marshal(st.Proto()); err != nil {
			return nil, err
		}
	}
	size, err := messageSize(msg)
	if err != nil {
		return nil, err
	}
	data := getBufferCap(size + len(encodedStatus) + 16)
	b := *data
	if encodedStatus != nil {
		b = protowire.AppendTag(b, fieldResponseStatus, protowire.BytesType)
		b = protowire.AppendBytes(b, encodedStatus)
	}
	*data, err = appendMessageField(b, fieldResponsePayload, msg, size)
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	return data, nil
}

// appendMessageField appends msg (of size bytes, from messageSize) as a
// bytes field, omitted when it encodes to nothing (as proto3 omits an empty
// bytes field).
func appendMessageField(b []byte, num protowire.Number, msg interface{}, size int) ([]byte, error) {
	if m, ok := msg.(vtMarshaler); ok && !isVTSized(msg) {
		encoded, err := m.MarshalVT()
		if err != nil || len(encoded) == 0 {
			return b, err
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, encoded), nil
	}
	if size == 0 {
		return b, nil
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	start := len(b)
	b, err := appendMessageSized(b, msg)
	if err == nil && len(b)-start != size {
		err = fmt.Errorf("ttrpc: %T changed while it was encoded", msg)
	}
	return b, err
}

func isVTSized(msg interface{}) bool {
	_, ok := msg.(vtSizedMarshaler)
	return ok
}

// messageSize returns the encoded size of msg, for appendMessageSized (0
// for a message with only MarshalVT, which cannot tell its size).
func messageSize(msg interface{}) (int, error) {
	switch m := msg.(type) {
	case vtSizedMarshaler:
		return m.SizeVT(), nil
	case nil, vtMarshaler:
		return 0, nil
	case proto.Message:
		return proto.Size(m), nil
	}
	return 0, fmt.Errorf("ttrpc: cannot marshal unknown type: %T", msg)
}

// appendMessageSized appends msg right after messageSize measured it: the
// protobuf path reuses the sizes that measurement cached.
func appendMessageSized(b []byte, msg interface{}) ([]byte, error) {
	if m, ok := msg.(proto.Message); ok && !isVTSized(msg) {
		return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, m)
	}
	return appendMessage(b, msg)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func stringFieldSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

// requestEnvelope is a decoded Request. service, method and payload alias
// the frame it was decoded from. Its metadata is decoded by decodeMetadata,
// once the request has been admitted, from the entry at mdStart on.
// (Offsets, not a slice: the struct is part of every call's allocation.)
type requestEnvelope struct {
	service, method []byte
	payload         []byte
	timeoutNano     int64
	metadata        MD    // nil when the request has none; set by decodeMetadata
	mdStart         int32 // where the first metadata entry begins
	mdEntries       int32 // metadata entries on the wire
}

// decodeRequest decodes a Request envelope as proto.Unmarshal would:
// unknown fields and fields of an unexpected wire type are skipped, the
// last value of a repeated scalar wins, and strings must be valid UTF-8.
// The metadata entries are only counted and skipped: decodeMetadata decodes
// them, so that a request refused before then costs one pass over its
// fields and no allocation, whatever order its fields come in.
func decodeRequest(b []byte) (requestEnvelope, error) {
	var env requestEnvelope
	_, err := env.decodeFields(b, len(b), nil, 0)
	return env, err
}

// decodeMetadata decodes the metadata entries that decodeRequest counted in
// b (the same envelope) into env.metadata: at most maxEntries of them, with
// at most maxBytes of keys and values together, else it fails with
// errMetadataEntries (before decoding any) or errMetadataBytes (before
// copying the entry that goes over), and returns that limit. A malformed
// entry fails with errMalformedEnvelope (and limit 0).
func (env *requestEnvelope) decodeMetadata(b []byte, maxEntries, maxBytes int) (limit int, err error) {
	if env.mdEntries == 0 {
		return 0, nil
	}
	if int(env.mdEntries) > maxEntries {
		return maxEntries, errMetadataEntries
	}
	md := make(MD, min(env.mdEntries, 8)) // one group of slots; more grow it
	room, err := env.decodeFields(b[env.mdStart:], 0, md, maxBytes)
	if room < 0 { // errMetadataBytes
		limit = maxBytes
	}
	if err == nil {
		env.metadata = md
	}
	return limit, err
}

// decodeFields decodes the fields of a Request in b into env. With md nil
// (decodeRequest's pass) it counts the metadata entries and notes where the
// first begins (b is the whole envelope, of size bytes); else (decodeMetadata's pass, from there on) it decodes them
// into md, within room bytes of keys and values, and returns the room left
// (below 0 with errMetadataBytes). The fields of the second pass that are
// not metadata were decoded by the first, and are decoded again to the same
// values.
func (env *requestEnvelope) decodeFields(b []byte, size int, md MD, room int) (int, error) {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return room, envelopeError(n)
		}
		b = b[n:]
		switch {
		case num == fieldRequestService && typ == protowire.BytesType:
			env.service, n = consumeString(b)
		case num == fieldRequestMethod && typ == protowire.BytesType:
			env.method, n = consumeString(b)
		case num == fieldRequestPayload && typ == protowire.BytesType:
			env.payload, n = protowire.ConsumeBytes(b)
		case num == fieldRequestTimeout && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			env.timeoutNano = int64(v)
		case num == fieldRequestMetadata && typ == protowire.BytesType && md != nil:
			var kv []byte
			if kv, n = protowire.ConsumeBytes(b); n >= 0 {
				var err error
				if room, err = decodeKeyValue(kv, md, room); err != nil {
					return room, err
				}
			}
		default:
			if num == fieldRequestMetadata && typ == protowire.BytesType {
				if env.mdEntries == 0 {
					env.mdStart = int32(size - len(b) - n) // n: the tag's length
				}
				env.mdEntries++
			}
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return room, envelopeError(n)
		}
		b = b[n:]
	}
	return room, nil
}

// decodeKeyValue decodes one KeyValue and appends it to md, when its key
// and value fit in room bytes; it returns the room left. The key and the
// value are copied into one string, of which each is a part.
func decodeKeyValue(b []byte, md MD, room int) (int, error) {
	var key, value []byte
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return room, envelopeError(n)
		}
		b = b[n:]
		switch {
		case num == fieldKeyValueKey && typ == protowire.BytesType:
			key, n = consumeString(b)
		case num == fieldKeyValueValue && typ == protowire.BytesType:
			value, n = consumeString(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return room, envelopeError(n)
		}
		b = b[n:]
	}
	if room -= len(key) + len(value); room < 0 {
		return room, errMetadataBytes
	}
	text := string(key) + string(value)
	md.Append(text[:len(key)], text[len(key):])
	return room, nil
}

// decodeResponse decodes a Response envelope: its status (nil when absent)
// and its payload, which aliases b.
func decodeResponse(b []byte) (*statuspb.Status, []byte, error) {
	var st *statuspb.Status
	var payload []byte
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return nil, nil, fmt.Errorf("%w: %w", errMalformedEnvelope, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == fieldResponseStatus && typ == protowire.BytesType:
			var v []byte
			if v, n = protowire.ConsumeBytes(b); n >= 0 && len(v) > 0 {
				if st == nil {
					st = &statuspb.Status{}
				}
				if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(v, st); err != nil {
					return nil, nil, fmt.Errorf("%w: status: %w", errMalformedEnvelope, err)
				}
			}
		case num == fieldResponsePayload && typ == protowire.BytesType:
			payload, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return nil, nil, fmt.Errorf("%w: %w", errMalformedEnvelope, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return st, payload, nil
}

// consumeTag is protowire.ConsumeTag that also refuses field numbers above
// the largest valid one, as proto.Unmarshal does.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -1
	}
	return num, typ, n
}

// errInvalidUTF8 is what consumeString reports for a string field that is
// not valid UTF-8, which proto3 forbids.
const errInvalidUTF8 = -100

// consumeString consumes a proto3 string field's value: bytes that must be
// valid UTF-8 (every occurrence is checked, as proto.Unmarshal does).
func consumeString(b []byte) ([]byte, int) {
	v, n := protowire.ConsumeBytes(b)
	if n >= 0 && !utf8.Valid(v) {
		return nil, errInvalidUTF8
	}
	return v, n
}

// envelopeError describes a negative result of a protowire consume function.
func envelopeError(n int) error {
	if n == errInvalidUTF8 {
		return fmt.Errorf("%w: string field is not valid UTF-8", errMalformedEnvelope)
	}
	return fmt.Errorf("%w: %w", errMalformedEnvelope, protowire.ParseError(n))
}
