package chart

import "testing"

func TestCapturedHours(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{{9.0 / 24, "9"}, {3.5 / 24, "3.5"}, {1.0 / 24, "1"}, {12.4 / 24, "12"}, {4.6 / 24, "4.6"}} {
		if got := capturedHours(tc.f); got != tc.want {
			t.Errorf("capturedHours(%v h) = %q, want %q", tc.f*24, got, tc.want)
		}
	}
}
