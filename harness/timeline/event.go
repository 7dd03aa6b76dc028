package timeline

import "time"

// Event is one thing that happened, at one instant.
type Event struct {
	Time time.Time `json:"time"`
	// Source is what saw it: a journal's source ("links", "phases",
	// "mavlink"), or for events read from elsewhere "step", "failure",
	// "chaos", "log" and so on.
	Source string `json:"source"`
	// Subject is what it happened to: a link, a Device, a vehicle, a
	// process.
	Subject string `json:"subject,omitempty"`
	// Kind is what happened, in a word or two: "cut", "phase", "armed".
	Kind string `json:"kind"`
	// Text says it in a sentence.
	Text string `json:"text,omitempty"`
	// Level is "info", "warn" or "error".
	Level string `json:"level,omitempty"`
}

// Levels.
const (
	Info  = "info"
	Warn  = "warn"
	Error = "error"
)

// Suffix names the files that hold journals.
const Suffix = ".timeline.jsonl"
