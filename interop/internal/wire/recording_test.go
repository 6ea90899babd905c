// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package wire

import (
	"bytes"
	"testing"
)

func TestRecordingRoundTrip(t *testing.T) {
	rec := &Recording{
		Comments: []string{"a case", "", "more"},
		Events: []Event{
			{Dir: ClientToServer, Frame: NewFrame(1, TypeRequest, FlagRemoteOpen, []byte{0x0a, 0x01, 'x'})},
			{Dir: ServerToClient, Frame: NewFrame(1, TypeData, FlagRemoteClosed|FlagNoData, nil)},
		},
	}
	data := rec.Marshal()
	want := "# a case\n#\n# more\n" +
		"c 00000003 00000001 01 02 0a0178\n" +
		"s 00000000 00000001 03 05\n"
	if string(data) != want {
		t.Fatalf("Marshal:\n%s\nwant:\n%s", data, want)
	}
	back, err := ParseRecording(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Marshal(), data) {
		t.Errorf("round trip:\n%s\nwant:\n%s", back.Marshal(), data)
	}
	if got := back.Events[0].Frame.Bytes(); !bytes.Equal(got, []byte{0, 0, 0, 3, 0, 0, 0, 1, 1, 2, 0x0a, 0x01, 'x'}) {
		t.Errorf("frame bytes % x", got)
	}
}

func TestParseRecordingErrors(t *testing.T) {
	for _, bad := range []string{
		"x 00000000 00000001 01 00\n",         // unknown direction
		"c 00000002 00000001 01 00 0a\n",      // length does not match the data
		"c 00000000 00000001 01\n",            // a field missing
		"c 00000001 00000001 01 00 zz\n",      // data not hex
		"c 100000000 00000001 01 00\n",        // length over 32 bits
		"c 00000000 00000001 100 00\n",        // type over 8 bits
		"c 00000000 00000001 01 00 00 00\n",   // a field too many
		"s 00000000 00000001 01 00 \n0a 0b\n", // a line that is no frame
	} {
		if _, err := ParseRecording([]byte(bad)); err == nil {
			t.Errorf("ParseRecording(%q): no error", bad)
		}
	}
}
