package abi

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidTopic reports why topic cannot be published or delivered, or nil.
// A topic is 1 to MaxTopicBytes bytes of UTF-8, without control characters
// and without the wildcard characters '#' and '*'. Levels are separated by
// '/'.
func ValidTopic(topic string) error {
	switch {
	case topic == "":
		return fmt.Errorf("empty topic")
	case len(topic) > MaxTopicBytes:
		return fmt.Errorf("topic of %d bytes exceeds %d", len(topic), MaxTopicBytes)
	case !utf8.ValidString(topic):
		return fmt.Errorf("topic is not UTF-8")
	case strings.ContainsAny(topic, "#*"):
		return fmt.Errorf("topic %q contains a wildcard", topic)
	}
	for _, r := range topic {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("topic %q contains a control character", topic)
		}
	}
	return nil
}

// TopicMatches reports whether topic matches pattern, an entry of an
// Application's publish or subscribe list:
//
//   - "#" or "*" matches every topic;
//   - "a/b/#" matches "a/b" and every topic below it ("a/b/c", "a/b/c/d");
//   - "a/b/*" matches every topic below "a/b", but not "a/b" itself;
//   - anything else matches only itself.
func TopicMatches(pattern, topic string) bool {
	switch {
	case pattern == "#" || pattern == "*":
		return true
	case strings.HasSuffix(pattern, "/#"):
		prefix := strings.TrimSuffix(pattern, "#")
		return topic == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(topic, prefix)
	case strings.HasSuffix(pattern, "/*"):
		prefix := strings.TrimSuffix(pattern, "*")
		return len(topic) > len(prefix) && strings.HasPrefix(topic, prefix)
	}
	return pattern == topic
}

// AnyTopicMatches reports whether topic matches one of patterns.
func AnyTopicMatches(patterns []string, topic string) bool {
	for _, p := range patterns {
		if TopicMatches(p, topic) {
			return true
		}
	}
	return false
}
