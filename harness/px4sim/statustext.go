package px4sim

import (
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
)

// How PX4 v1.16 gates its own STATUSTEXTs (issue 18, fact 2): every link
// has its own subscription to the vehicle's log texts
// (MavlinkStreamStatustext) and sends from it only while a ground station
// is connected to that link, that is while a HEARTBEAT of type
// MAV_TYPE_GCS arrived on it within gcsConnectedWindow. A text still
// queued when it becomes older than textMaxAge is dropped ("don't send
// stale messages"). So a passive listener gets no texts at all, and
// "Connection to ground station lost" can never be seen on a link that has
// lost its ground station; it reaches a ground station that comes back
// within five seconds.
const (
	gcsConnectedWindow = 2500 * time.Millisecond
	textMaxAge         = 5 * time.Second
)

// statusTextLen is the size of STATUSTEXT.text.
const statusTextLen = 50

// queuedText is a log text waiting in one link's subscription.
type queuedText struct {
	statusText
	at int64 // simulated µs when it was logged
}

// gcsHeartbeat notes a MAV_TYPE_GCS heartbeat received on the link at
// simulated time now.
func (l *link) gcsHeartbeat(now int64) {
	l.lastGCS = now
	l.heardGCS = true
}

// gcsConnected is Mavlink::is_gcs_connected for the link.
func (l *link) gcsConnected(now int64) bool {
	return l.heardGCS && now-l.lastGCS <= us(gcsConnectedWindow)
}

// queueText adds a text the vehicle logged at simulated time at.
func (l *link) queueText(t statusText, at int64) {
	l.texts = append(l.texts, queuedText{statusText: t, at: at})
}

// flushTexts sends the link's queued texts that are not stale if a ground
// station is connected, and forgets the stale ones either way.
func (l *link) flushTexts(now int64) {
	connected := l.gcsConnected(now)
	kept := l.texts[:0]
	for _, t := range l.texts {
		switch {
		case now-t.at >= us(textMaxAge):
			l.textsDropped.Add(1)
		case connected:
			for _, msg := range chunkStatusText(l.textID, t.statusText) {
				l.send(msg)
			}
			l.textID++
		default:
			kept = append(kept, t)
		}
	}
	clear(l.texts[len(kept):])
	l.texts = kept
}

// chunkStatusText splits a text into STATUSTEXTs exactly like PX4's
// STATUSTEXT stream: every text the link sends takes the link's next id
// (each link counts from 0), a text longer than 50 characters is sent as
// chunks with increasing chunk_seq, and no terminating chunk follows a text
// that fills its chunks exactly.
func chunkStatusText(id uint16, t statusText) []*common.MessageStatustext {
	sev := common.MAV_SEVERITY(t.severity)
	var out []*common.MessageStatustext
	rest := t.text
	for seq := uint8(0); len(rest) > 0; seq++ {
		n := min(len(rest), statusTextLen)
		out = append(out, &common.MessageStatustext{Severity: sev, Text: rest[:n], Id: id, ChunkSeq: seq})
		rest = rest[n:]
	}
	return out
}
