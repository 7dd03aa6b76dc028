package px4sim

import "math"

// Battery model of PX4's SITL battery simulator: while armed it drains
// linearly over SIM_BAT_DRAIN and stops at SIM_BAT_MIN_PCT, so a long
// scenario never runs the simulated battery flat.
const (
	batteryDrainSeconds = 60.0 // SIM_BAT_DRAIN
	batteryMinRemaining = 0.5  // SIM_BAT_MIN_PCT
	batteryCells        = 4
	batteryVEmpty       = 3.6  // BAT1_V_EMPTY, V per cell
	batteryVCharged     = 4.05 // BAT1_V_CHARGED, V per cell
	batteryCapacityMAh  = 5000
	currentHover        = 15.0 // A
	currentIdle         = 2.0  // A, armed on the ground
	currentDisarmed     = 0.4  // A
)

type battery struct {
	remaining   float64 // 0..1
	consumedMAh float64
	current     float64 // A
}

func newBattery() battery { return battery{remaining: 1} }

func (b *battery) update(dt float64, armed, inAir bool) {
	switch {
	case armed && inAir:
		b.current = currentHover
	case armed:
		b.current = currentIdle
	default:
		b.current = currentDisarmed
	}
	if armed {
		b.remaining = math.Max(batteryMinRemaining, b.remaining-dt/batteryDrainSeconds)
	}
	b.consumedMAh += b.current * dt / 3.6
}

// cellVoltage is the voltage of one cell.
func (b battery) cellVoltage() float64 {
	return batteryVEmpty + (batteryVCharged-batteryVEmpty)*b.remaining
}

// voltage is the pack voltage.
func (b battery) voltage() float64 { return batteryCells * b.cellVoltage() }
