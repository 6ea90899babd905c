// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package codes

import (
	"errors"
	"fmt"
	"strconv"
)

// jsonNames maps the JSON string form of each code to the code. The keys are
// the upper-snake names of google.rpc.Code, quotes included, because that is
// how they appear in a JSON document; "CANCELLED" keeps the spec's double L.
var jsonNames = map[string]Code{
	`"OK"`:                  OK,
	`"CANCELLED"`:           Canceled,
	`"UNKNOWN"`:             Unknown,
	`"INVALID_ARGUMENT"`:    InvalidArgument,
	`"DEADLINE_EXCEEDED"`:   DeadlineExceeded,
	`"NOT_FOUND"`:           NotFound,
	`"ALREADY_EXISTS"`:      AlreadyExists,
	`"PERMISSION_DENIED"`:   PermissionDenied,
	`"RESOURCE_EXHAUSTED"`:  ResourceExhausted,
	`"FAILED_PRECONDITION"`: FailedPrecondition,
	`"ABORTED"`:             Aborted,
	`"OUT_OF_RANGE"`:        OutOfRange,
	`"UNIMPLEMENTED"`:       Unimplemented,
	`"INTERNAL"`:            Internal,
	`"UNAVAILABLE"`:         Unavailable,
	`"DATA_LOSS"`:           DataLoss,
	`"UNAUTHENTICATED"`:     Unauthenticated,
}

// errNilReceiver is returned when UnmarshalJSON is called on a nil *Code.
var errNilReceiver = errors.New("nil receiver passed to UnmarshalJSON")

// UnmarshalJSON implements json.Unmarshaler. It accepts a bare number below
// 17 (such as 5) or a quoted upper-snake name (such as "NOT_FOUND"), as
// grpc-go does. JSON null leaves the code unchanged, following the
// encoding/json convention.
func (c *Code) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if c == nil {
		return errNilReceiver
	}
	if n, err := strconv.ParseUint(string(b), 10, 32); err == nil {
		if n >= maxCode {
			return fmt.Errorf("invalid code: %d", n)
		}
		*c = Code(n)
		return nil
	}
	if jc, ok := jsonNames[string(b)]; ok {
		*c = jc
		return nil
	}
	return fmt.Errorf("invalid code: %q", string(b))
}
