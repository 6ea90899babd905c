// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package codes

import "strconv"

// names holds the String form of each canonical code, indexed by number.
// These are grpc-go's spellings (note "Canceled" with one L), which users
// match in logs and tests, so they must not change.
var names = [maxCode]string{
	OK:                 "OK",
	Canceled:           "Canceled",
	Unknown:            "Unknown",
	InvalidArgument:    "InvalidArgument",
	DeadlineExceeded:   "DeadlineExceeded",
	NotFound:           "NotFound",
	AlreadyExists:      "AlreadyExists",
	PermissionDenied:   "PermissionDenied",
	ResourceExhausted:  "ResourceExhausted",
	FailedPrecondition: "FailedPrecondition",
	Aborted:            "Aborted",
	OutOfRange:         "OutOfRange",
	Unimplemented:      "Unimplemented",
	Internal:           "Internal",
	Unavailable:        "Unavailable",
	DataLoss:           "DataLoss",
	Unauthenticated:    "Unauthenticated",
}

// String returns the code's Go constant name, such as "NotFound", or
// "Code(N)" for a number that is not a canonical code.
func (c Code) String() string {
	if c < maxCode {
		return names[c]
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}
