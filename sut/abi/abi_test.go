package abi

import (
	"encoding/json"
	"testing"
)

func TestFunctionsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Functions() {
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		if got, ok := Lookup(f.Name); !ok || got.Name != f.Name {
			t.Errorf("Lookup(%s) = %+v, %v", f.Name, got, ok)
		}
	}
	if _, ok := Lookup("launch_missiles"); ok {
		t.Error("Lookup found an undefined function")
	}
}

func TestSignature(t *testing.T) {
	for want, f := range map[string]string{
		"(i32, i32, i32) -> ()": FuncLog,
		"() -> i64":             FuncClockMs,
		"(i32, i32) -> i32":     FuncDeviceInfo,
		"() -> ()":              FuncYield,
	} {
		fn, _ := Lookup(f)
		if got := fn.Signature(); got != want {
			t.Errorf("%s: %s, want %s", f, got, want)
		}
	}
	if got := Signature([]ValueType{I64}, []ValueType{I32, I64}); got != "(i64) -> (i32, i64)" {
		t.Errorf("multi-value: %s", got)
	}
}

func TestTopicMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, topic string
		want           bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/bc", false},
		{"#", "anything/at/all", true},
		{"*", "x", true},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"a/*", "a", false},
		{"a/*", "a/b", true},
		{"a/*", "a/b/c", true},
		{"a/*", "a/", false},
	} {
		if got := TopicMatches(tc.pattern, tc.topic); got != tc.want {
			t.Errorf("TopicMatches(%q, %q) = %v", tc.pattern, tc.topic, got)
		}
	}
	if !AnyTopicMatches([]string{"x", "y/#"}, "y/z") || AnyTopicMatches(nil, "y") {
		t.Error("AnyTopicMatches")
	}
}

func TestValidTopic(t *testing.T) {
	for _, ok := range []string{"a", "sensor/temp", "with space"} {
		if err := ValidTopic(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	long := make([]byte, MaxTopicBytes+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, bad := range []string{"", "a/#", "a*", "tab\there", "\xff", string(long)} {
		if ValidTopic(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCodeNames(t *testing.T) {
	for code := int32(0); code >= ErrIO; code-- {
		if CodeName(code) == "unknown" {
			t.Errorf("code %d has no name", code)
		}
	}
	if CodeName(-100) != "unknown" || CodeName(7) != "OK" {
		t.Error("CodeName")
	}
}

func TestVehicleJSON(t *testing.T) {
	var req VehicleRequest
	if err := json.Unmarshal([]byte(`{"command":"set_mode","mode":"GUIDED"}`), &req); err != nil || req.Mode != "GUIDED" {
		t.Errorf("%+v %v", req, err)
	}
	for _, c := range VehicleCommands() {
		if !IsVehicleCommand(c) {
			t.Errorf("%s", c)
		}
	}
	if IsVehicleCommand("flip") {
		t.Error("flip")
	}
}
