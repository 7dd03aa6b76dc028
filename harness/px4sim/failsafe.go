package px4sim

import "fmt"

// dataLink tracks GCS heartbeats like Commander::dataLinkCheck. Only
// heartbeats of type MAV_TYPE_GCS count.
type dataLink struct {
	seen bool  // a GCS heartbeat has ever been received
	last int64 // when the last one arrived
	lost bool  // gcs_connection_lost
}

// gcsHeartbeat records a MAV_TYPE_GCS heartbeat.
func (v *vehicle) gcsHeartbeat() {
	if v.link.lost && v.link.seen {
		v.say(severityInfo, "GCS connection regained"+eventTab)
	}
	v.link.seen = true
	v.link.lost = false
	v.link.last = v.now
}

func (v *vehicle) updateDataLink() {
	if v.link.seen && !v.link.lost && v.now-v.link.last > us(v.cfg.Failsafe.DataLinkLossTimeout) {
		v.link.lost = true
		v.say(severityInfo, "Connection to ground station lost"+eventTab)
	}
}

// failsafe is the data-link-loss part of PX4's failsafe state machine.
// Its action is cleared by a user mode change or disarming
// (ClearCondition::OnModeChangeOrDisarm), not by the link coming back.
type failsafe struct {
	active    bool
	holding   bool // in the COM_FAIL_ACT_T Hold before the action
	holdUntil int64
	takeover  bool // the user took over: do not re-trigger until the link is back
}

func (f *failsafe) reset() { *f = failsafe{} }

// userTakeover is a user mode change while a failsafe runs.
func (f *failsafe) userTakeover(v *vehicle) {
	if f.active {
		f.active, f.holding = false, false
		f.takeover = v.link.lost
	}
}

func (v *vehicle) updateFailsafe() {
	action := v.cfg.Failsafe.DataLinkLossAction
	if !v.armed || action == FailsafeNone {
		v.fs.reset()
		return
	}
	if !v.link.lost {
		v.fs.takeover = false
	}
	if v.link.lost && !v.fs.active && !v.fs.takeover {
		v.fs.active = true
		if delay := v.cfg.Failsafe.ActionDelay; delay > 0 {
			v.fs.holding = true
			v.fs.holdUntil = v.now + us(delay)
			v.enterMode(ModeAutoLoiter)
			v.say(severityCritical, fmt.Sprintf("Failsafe activated, entering Hold for %d seconds", int((delay+500_000_000)/1_000_000_000)))
		} else {
			v.applyFailsafeAction(action)
			v.say(severityCritical, "Failsafe activated")
		}
	}
	if v.fs.active && v.fs.holding && v.now >= v.fs.holdUntil {
		v.fs.holding = false
		v.applyFailsafeAction(action)
		if action != FailsafeHold {
			v.say(severityCritical, "Failsafe activated")
		}
	}
}

func (v *vehicle) applyFailsafeAction(a FailsafeAction) {
	switch a {
	case FailsafeRTL:
		if v.home.valid {
			v.enterMode(ModeAutoRTL)
			return
		}
		v.enterMode(ModeAutoLand)
	case FailsafeLand:
		v.enterMode(ModeAutoLand)
	default:
		if v.mode != ModeAutoLoiter {
			v.enterMode(ModeAutoLoiter)
		}
	}
}
