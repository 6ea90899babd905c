// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package codes_test

import (
	"encoding/json"
	"testing"

	"github.com/featherrpc/ttrpc/codes"
)

// canonical lists every code with the number and strings gRPC gives it. The
// numbers are written out as literals so a renumbered constant fails here.
var canonical = []struct {
	code     codes.Code
	num      uint32
	str      string
	jsonName string
}{
	{codes.OK, 0, "OK", "OK"},
	{codes.Canceled, 1, "Canceled", "CANCELLED"},
	{codes.Unknown, 2, "Unknown", "UNKNOWN"},
	{codes.InvalidArgument, 3, "InvalidArgument", "INVALID_ARGUMENT"},
	{codes.DeadlineExceeded, 4, "DeadlineExceeded", "DEADLINE_EXCEEDED"},
	{codes.NotFound, 5, "NotFound", "NOT_FOUND"},
	{codes.AlreadyExists, 6, "AlreadyExists", "ALREADY_EXISTS"},
	{codes.PermissionDenied, 7, "PermissionDenied", "PERMISSION_DENIED"},
	{codes.ResourceExhausted, 8, "ResourceExhausted", "RESOURCE_EXHAUSTED"},
	{codes.FailedPrecondition, 9, "FailedPrecondition", "FAILED_PRECONDITION"},
	{codes.Aborted, 10, "Aborted", "ABORTED"},
	{codes.OutOfRange, 11, "OutOfRange", "OUT_OF_RANGE"},
	{codes.Unimplemented, 12, "Unimplemented", "UNIMPLEMENTED"},
	{codes.Internal, 13, "Internal", "INTERNAL"},
	{codes.Unavailable, 14, "Unavailable", "UNAVAILABLE"},
	{codes.DataLoss, 15, "DataLoss", "DATA_LOSS"},
	{codes.Unauthenticated, 16, "Unauthenticated", "UNAUTHENTICATED"},
}

func TestCanonicalNumbersAndStrings(t *testing.T) {
	if len(canonical) != 17 {
		t.Fatalf("table has %d codes, want 17", len(canonical))
	}
	for _, tc := range canonical {
		if uint32(tc.code) != tc.num {
			t.Errorf("%s = %d, want %d", tc.str, uint32(tc.code), tc.num)
		}
		if got := tc.code.String(); got != tc.str {
			t.Errorf("Code(%d).String() = %q, want %q", tc.num, got, tc.str)
		}
		if got := codes.Code(tc.num).String(); got != tc.str {
			t.Errorf("codes.Code(%d).String() = %q, want %q", tc.num, got, tc.str)
		}
	}
}

func TestStringOfUnknownCode(t *testing.T) {
	tests := []struct {
		code codes.Code
		want string
	}{
		{17, "Code(17)"},
		{100, "Code(100)"},
		{^codes.Code(0), "Code(4294967295)"},
	}
	for _, tc := range tests {
		if got := tc.code.String(); got != tc.want {
			t.Errorf("Code(%d).String() = %q, want %q", uint32(tc.code), got, tc.want)
		}
	}
}

func TestUnmarshalJSONAcceptsNamesAndNumbers(t *testing.T) {
	for _, tc := range canonical {
		for _, in := range []string{`"` + tc.jsonName + `"`, jsonNumber(tc.num)} {
			c := codes.Code(99) // a value no case expects, so a no-op fails
			if err := c.UnmarshalJSON([]byte(in)); err != nil {
				t.Errorf("UnmarshalJSON(%s): %v", in, err)
				continue
			}
			if c != tc.code {
				t.Errorf("UnmarshalJSON(%s) = %v, want %v", in, c, tc.code)
			}
		}
	}
}

func TestUnmarshalJSONRejects(t *testing.T) {
	for _, in := range []string{
		`17`, `4294967296`, `-1`, `1.5`,
		`"NotFound"`, `"CANCELED"`, `"5"`, `NOT_FOUND`, `""`, ``,
	} {
		c := codes.Aborted
		if err := c.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%q) = nil error, set %v", in, c)
		}
		if c != codes.Aborted {
			t.Errorf("UnmarshalJSON(%q) changed the code to %v on error", in, c)
		}
	}
}

func TestUnmarshalJSONNull(t *testing.T) {
	c := codes.DataLoss
	if err := c.UnmarshalJSON([]byte("null")); err != nil || c != codes.DataLoss {
		t.Errorf("UnmarshalJSON(null) = %v, code %v; want nil and DataLoss unchanged", err, c)
	}
	var nilCode *codes.Code
	if err := nilCode.UnmarshalJSON([]byte("null")); err != nil {
		t.Errorf("nil.UnmarshalJSON(null) = %v, want nil", err)
	}
	if err := nilCode.UnmarshalJSON([]byte("3")); err == nil {
		t.Error("nil.UnmarshalJSON(3) = nil error, want one")
	}
}

func TestUnmarshalJSONThroughEncodingJSON(t *testing.T) {
	var got struct {
		A codes.Code
		B codes.Code
		C map[string]codes.Code
	}
	in := `{"A":"PERMISSION_DENIED","B":14,"C":{"x":"OK","y":16}}`
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if got.A != codes.PermissionDenied || got.B != codes.Unavailable ||
		got.C["x"] != codes.OK || got.C["y"] != codes.Unauthenticated {
		t.Errorf("json.Unmarshal(%s) = %+v", in, got)
	}

	var bad struct{ A codes.Code }
	if err := json.Unmarshal([]byte(`{"A":"NOPE"}`), &bad); err == nil {
		t.Errorf("json.Unmarshal of an unknown name = nil error, set %v", bad.A)
	}
}

func jsonNumber(n uint32) string {
	b, err := json.Marshal(n)
	if err != nil {
		panic(err)
	}
	return string(b)
}
