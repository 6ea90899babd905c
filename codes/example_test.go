// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package codes_test

import (
	"encoding/json"
	"fmt"

	"github.com/featherrpc/ttrpc/codes"
)

func ExampleCode_String() {
	fmt.Println(codes.NotFound, uint32(codes.NotFound))
	fmt.Println(codes.Code(42))
	// Output:
	// NotFound 5
	// Code(42)
}

func ExampleCode_UnmarshalJSON() {
	var cfg struct {
		RetryOn []codes.Code
	}
	if err := json.Unmarshal([]byte(`{"RetryOn":["UNAVAILABLE",8]}`), &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.RetryOn)
	// Output: [Unavailable ResourceExhausted]
}
