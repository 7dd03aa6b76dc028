package scenarios

import (
	"context"
	"math"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// The PX4 scenarios fly vehicles from WebAssembly apps through the gateway's
// MAVLink bridge. They are written once and run per vehicle backend: the
// built-in simulator always, real PX4 SITL when PX4_SITL_DIR is set. Every
// verdict about the flight comes from the Airspace's observer, a ground
// station on the vehicle's own GCS link, never from the SUT. PX4 sends the
// acks for the gateway's commands only to the gateway (issue 18, fact 3),
// so the observer judges a command by what the vehicle does: mode, armed,
// altitude. Altitude bands are mavobserver's, derived from PX4's behaviour
// (fact 5, see mavobserver/tolerance.go).

// px4Timeout bounds each px4 spec, so a wait on its context cannot hang.
var px4Timeout = SpecTimeout(5 * time.Minute)

// px4Spec is what each px4 scenario stands on.
type px4Spec struct {
	e   *env.Env
	tb  *testbed.Testbed
	air *testbed.Airspace
}

// newPX4Spec boots the SUT and an airspace of the given backend, its
// vehicles at speed (the run's speed factor if zero).
func newPX4Spec(ctx context.Context, backend testbed.VehicleBackend, o testbed.Options, speed float64) px4Spec {
	GinkgoHelper()
	e, tb := newTestbed(ctx, o)
	air, err := testbed.NewAirspace(ctx, tb, testbed.AirspaceOptions{Backend: backend, SpeedFactor: speed})
	Expect(err).NotTo(HaveOccurred())
	return px4Spec{e: e, tb: tb, air: air}
}

// flightTimeout bounds a wait for something vehicleTime seconds of flight
// away, at the airspace's speed.
func (p px4Spec) flightTimeout(vehicleTime time.Duration) time.Duration {
	return p.e.Config.Scale(20*time.Second + time.Duration(float64(vehicleTime)/p.air.SpeedFactor()))
}

// vehicle starts a vehicle.
func (p px4Spec) vehicle(ctx context.Context, o testbed.VehicleOptions) *testbed.Vehicle {
	GinkgoHelper()
	v, err := p.air.NewVehicle(ctx, o)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// pilot connects a device and makes it v's pilot.
func (p px4Spec) pilot(ctx context.Context, v *testbed.Vehicle, name string, failsafe wasmbedv1.FailsafeAction) *testbed.Device {
	GinkgoHelper()
	d, _ := connectedDevice(ctx, p.e, p.tb, name)
	Expect(v.Fly(ctx, p.e.Client, p.e.Namespace, name, failsafe)).To(Succeed())
	return d
}

// fly deploys the drone app to device with the given config and allowed
// commands.
func (p px4Spec) fly(ctx context.Context, name, device string, config map[string]string, mavlink ...string) {
	GinkgoHelper()
	caps := wasmbedv1.AppCapabilities{}
	fx := fixtures.Get(fixtures.Drone).Capabilities
	caps.Log, caps.KV, caps.Publish, caps.Subscribe = fx.Log, fx.KV, fx.Publish, fx.Subscribe
	for _, c := range mavlink {
		caps.MAVLink = append(caps.MAVLink, wasmbedv1.MAVLinkCommand(c))
	}
	app := appspec.FromFixture(p.e.Namespace, name, fixtures.Drone, appspec.Options{
		Devices: []string{device}, Capabilities: &caps, Tick: 50 * time.Millisecond})
	for k, v := range config {
		app.Spec.Config[k] = v
	}
	Expect(p.e.Client.Create(ctx, app)).To(Succeed())
}

// seen polls the observer's account of v.
func seen(v *testbed.Vehicle) func() mavobserver.Vehicle { return v.State }

// progress polls the drone app's progress lines in a device's log: the
// app logs each line it publishes, and the device logs app output as
// msg=<line> ... stream=log (quoted when it needs to be).
var progressRE = regexp.MustCompile(`(?m)msg=("(?:[^"\\]|\\.)*"|\S*) .*stream=log$`)

func progress(d *testbed.Device) func() []string {
	return func() []string {
		var out []string
		for _, m := range progressRE.FindAllStringSubmatch(d.Log(), -1) {
			line := m[1]
			if unq, err := strconv.Unquote(line); err == nil {
				line = unq
			}
			out = append(out, line)
		}
		return out
	}
}

var (
	// hovering: armed, holding, and within the hover band of alt.
	hovering = func(alt float64) func(mavobserver.Vehicle) bool {
		lo, hi := mavobserver.HoverBand(alt)
		return func(s mavobserver.Vehicle) bool {
			return s.Armed && s.Mode == "AUTO.LOITER" && s.AltRel >= lo && s.AltRel <= hi
		}
	}
	// landedAndDisarmed: on the ground by the vehicle's own land detector,
	// disarmed, and reading an altitude a vehicle on the ground reads.
	landedAndDisarmed = func(s mavobserver.Vehicle) bool {
		return !s.Armed && s.HasLandedState && s.LandedState == mavobserver.LandedOnGround &&
			math.Abs(s.AltRel) <= mavobserver.GroundWander
	}
)

var _ = Describe("PX4 over MAVLink", Label("px4"), func() {
	for _, backend := range testbed.VehicleBackends() {
		decorators := []any{}
		if backend == testbed.SITLVehicles {
			decorators = append(decorators, Serial) // PX4's fixed ports
		}
		Context("with "+string(backend)+" vehicles", append(decorators, func() {
			BeforeEach(func() {
				if why := backend.Unavailable(cfg.PX4SITLDir); why != "" {
					Skip(why)
				}
			})

			It("flies take-off, hover and landing from an app, as the vehicle itself reports", px4Timeout, func(ctx SpecContext) {
				By("given a vehicle, ready to arm, flown by a connected device")
				p := newPX4Spec(ctx, backend, testbed.Options{}, 0)
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")
				rec := v.Record()
				DeferCleanup(rec.Stop)
				const alt, hover = 10.0, 30 * time.Second
				lo, hi := mavobserver.HoverBand(alt)

				By("when an app asks for a take-off to 10 m, a 30 s hover and a landing")
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "10", "hover_s": "30"}, "arm", "takeoff", "land")

				By("then the observer sees it climb, hold, then land and disarm")
				Eventually(seen(v), p.flightTimeout(30*time.Second)).Should(Satisfy(hovering(alt)))
				Eventually(seen(v), p.flightTimeout(hover+40*time.Second)).Should(Satisfy(landedAndDisarmed))
				rec.Stop()
				AddReportEntry("peak relative altitude (m), measured from the home PX4 set at the take-off", rec.MaxAltRel())
				Expect(rec.MaxAltRel()).To(And(BeNumerically(">=", lo), BeNumerically("<=", hi)),
					"the peak lies in the hover band PX4 showed for the target (mavobserver.HoverBand)")
				near := rec.TimeAltRelWithin(lo, hi)
				AddReportEntry("hover (vehicle time in the hover band of 10 m)", near.String())
				Expect(near).To(BeNumerically(">=", hover), "hovered the configured time, in vehicle time")
				Expect(near).To(BeNumerically("<", hover+6*time.Second), "and then left for the ground")

				By("then the app measured the hover in vehicle time and finished")
				Eventually(progress(d)).Should(ContainElement("done"))
				Expect(progress(d)()).To(ContainElement(MatchRegexp(`^hover done after (3[0-9]{4}) ms of vehicle time$`)))
			})

			It("refuses a command the Application does not allow, on the device and at the gateway, before it reaches the vehicle", px4Timeout, func(ctx SpecContext) {
				By("given a vehicle hovering at 5 m for an app that may arm, take off and land")
				p := newPX4Spec(ctx, backend, testbed.Options{Backend: "inprocess"}, 0)
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "5", "hover_s": "600", "try": "disarm"}, "arm", "takeoff", "land")
				Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(5)))

				By("when the app tries to disarm, the device refuses: the app gets ERR_NOT_PERMITTED")
				Eventually(progress(d)).Should(ContainElement("tried disarm rc=-3"))

				By("when a device skips that check, it meets the gateway's")
				mark := p.air.Observer.MarkTexts(v.SystemID)
				agent := d.Device.(*fleet.InProcessDevice).Device().Agent
				res := agent.VehicleCommand(ctx, "mission", protocol.VehicleCommand{Command: abi.VehicleDisarm})
				Expect(res.Result).To(Equal(abi.VehicleNotGranted))
				Expect(res.Message).To(ContainSubstring("does not grant the disarm command"))
				res = agent.VehicleCommand(ctx, "someone-else", protocol.VehicleCommand{Command: abi.VehicleLand})
				Expect(res.Result).To(Equal(abi.VehicleNotGranted))

				gw := p.tb.SUT.Gateway("")
				Expect(gw.Metric(ctx, "wasmbed_gateway_vehicle_commands_total", map[string]string{"command": "disarm", "result": abi.VehicleNotGranted})).To(BeEquivalentTo(1))
				Expect(gw.Metric(ctx, "wasmbed_gateway_refusals_total", map[string]string{"stage": "vehicle", "reason": abi.VehicleNotGranted})).To(BeEquivalentTo(2))

				By("when a device forges telemetry on the reserved vehicle/ topics, it is dropped")
				agent.Publish("mission", abi.TopicVehicleHeartbeat, abi.Heartbeat{SystemID: 99, Autopilot: 12, Mode: "MANUAL"}.Append(nil))
				Eventually(func(ctx context.Context) (float64, error) {
					return gw.Metric(ctx, "wasmbed_gateway_vehicle_topic_publishes_dropped_total", nil)
				}).WithContext(ctx).WithTimeout(p.e.Config.Scale(10 * time.Second)).Should(BeEquivalentTo(1))

				By("then nothing reached the vehicle: it stays armed, holding at 5 m, and never said it refused a disarm")
				// A disarm that reached PX4 in the air would have been refused
				// with "Disarming denied: not landed"; the observer, a ground
				// station, would have heard it (NotSaidSince fails if it could
				// not have). The ack would have gone to the gateway only.
				Consistently(seen(v), p.e.Config.Scale(2*time.Second)).Should(Satisfy(hovering(5)))
				Expect(p.air.Observer.NotSaidSince(mark, "Disarming denied")).To(Succeed())
				Expect(progress(d)()).NotTo(ContainElement(ContainSubstring("sysid=99")), "the app never saw the forged heartbeat")
			})

			It("brings a denied arm to the app and into the Application status", px4Timeout, func(ctx SpecContext) {
				// Waits for the gateway to strip PX4's trailing tab from the
				// vehicle's texts (issue 18, item 4): PX4 sends this refusal
				// as "...failures first\t" (fact 4), and the app and the
				// Application status must get it without.
				By("given a vehicle flown by a connected device")
				p := newPX4Spec(ctx, backend, testbed.Options{}, 0)
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")

				By("when an app sets MANUAL and arms")
				p.fly(ctx, "manual", d.Name(), map[string]string{"mode": "MANUAL"}, "set_mode", "arm", "takeoff", "land")

				By("then the vehicle itself refuses: MANUAL without RC fails its pre-arm checks")
				Eventually(seen(v), p.flightTimeout(10*time.Second)).Should(And(
					HaveField("Mode", "MANUAL"),
					HaveField("ReadyToArm", BeFalse()),
					Satisfy(func(s mavobserver.Vehicle) bool { return s.HasText("Arming denied") })))
				Expect(v.State().Armed).To(BeFalse())

				By("then the app got the result with the autopilot's reason")
				Eventually(progress(d)).Should(ContainElement(MatchRegexp(
					`^failed: \{"id":\d+,"command":"arm","result":"temporarily_rejected","message":"Arming denied: Resolve system health failures first"\}$`)),
					"the reason without PX4's trailing tab (the gateway strips it, issue 18 item 4)")

				By("then the Application status shows it")
				Eventually(ctx, observe.Application(p.e.Client, p.e.Namespace, "manual")).WithTimeout(p.e.Config.Scale(30*time.Second)).Should(HaveField("Status.Devices", ContainElement(And(
					HaveField("Name", d.Name()),
					HaveField("State", wasmbedv1.AppRunning),
					HaveField("Reason", string(abi.ReasonVehicleCommandRejected)),
					HaveField("Message", "arm temporarily_rejected: Arming denied: Resolve system health failures first")))),
					"the reason without PX4's trailing tab (the gateway strips it, issue 18 item 4)")
			})

			It("tells the app when the vehicle link is lost, while the vehicle runs its own failsafe", px4Timeout, func(ctx SpecContext) {
				By("given a vehicle with PX4's data-link-loss failsafe set to RTL, hovering at 8 m for an app")
				p := newPX4Spec(ctx, backend, testbed.Options{}, 0)
				v := p.vehicle(ctx, testbed.VehicleOptions{DataLinkLoss: "rtl"})
				d := p.pilot(ctx, v, "pilot", "")
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "8", "hover_s": "600"}, "arm", "takeoff", "land")
				Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(8)))
				rec := v.Record()
				DeferCleanup(rec.Stop)

				By("when every ground station goes away: the gateway's link is cut and the observer stops its heartbeats")
				// PX4 counts a GCS heartbeat on any link, so the observer's
				// own would hold the data link up.
				v.Relay.Cut()
				p.air.Observer.StopHeartbeats()
				DeferCleanup(p.air.Observer.StartHeartbeats)

				By("then the app is told")
				Eventually(progress(d), p.e.Config.Scale(10*time.Second)).Should(ContainElement("vehicle link lost"))

				By("then the vehicle, hearing no ground station, runs its failsafe: it returns and lands by itself")
				// What it says about it goes to no link, for none has a
				// ground station (fact 2): the failsafe shows in what it does,
				// a CRITICAL system status and AUTO.RTL.
				Eventually(seen(v), p.flightTimeout(60*time.Second)).Should(Satisfy(landedAndDisarmed))
				rec.Stop()
				Expect(rec.TimeWhere(func(s mavobserver.Sample) bool {
					return s.Armed && s.SystemStatus == uint8(common.MAV_STATE_CRITICAL)
				})).To(BeNumerically(">", 0), "its heartbeat reported the failsafe (CRITICAL)")
				Expect(rec.TimeInMode("AUTO.RTL")).To(BeNumerically(">", 0), "it flew AUTO.RTL on the way down")

				By("when the ground stations come back")
				mark := p.air.Observer.MarkTexts(v.SystemID)
				v.Relay.Restore()
				p.air.Observer.StartHeartbeats()

				By("then the app is told the link is up and the vehicle says it hears a ground station again")
				Eventually(progress(d), p.e.Config.Scale(10*time.Second)).Should(ContainElement("vehicle link up"))
				Eventually(seen(v), p.e.Config.Scale(10*time.Second)).Should(Satisfy(func(s mavobserver.Vehicle) bool {
					_, back := s.TextAfter("GCS connection regained", mark.Seq)
					return back
				}))
			})

			DescribeTable("commands the Device's failsafe when the device flying the vehicle disconnects",
				func(ctx SpecContext, failsafe wasmbedv1.FailsafeAction, mode, command string) {
					By("given a vehicle hovering at 6 m for an app on a device whose failsafe is " + mode)
					p := newPX4Spec(ctx, backend, testbed.Options{}, 0)
					v := p.vehicle(ctx, testbed.VehicleOptions{})
					d := p.pilot(ctx, v, "pilot", failsafe)
					p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "6", "hover_s": "600"}, "arm", "takeoff", "land")
					Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(6)))
					rec := v.Record()
					DeferCleanup(rec.Stop)

					By("when the device disconnects")
					d.Kill()

					By("then the gateway commands " + mode + " and the vehicle flies it down, lands and disarms")
					Eventually(seen(v), p.flightTimeout(60*time.Second)).Should(Satisfy(landedAndDisarmed))
					rec.Stop()
					Expect(rec.TimeInMode(mode)).To(BeNumerically(">", 0), "it flew %s on the way down", mode)
					Expect(rec.TimeInMode("AUTO.LOITER")).To(BeNumerically("<", rec.Duration()), "it did not just keep hovering")
					Expect(p.tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_vehicle_failsafes_total",
						map[string]string{"action": command, "result": abi.VehicleAccepted})).To(BeEquivalentTo(1))
				},
				Entry("RTL by default", px4Timeout, wasmbedv1.FailsafeAction(""), "AUTO.RTL", abi.VehicleRTL),
				Entry("Land when the Device says so", px4Timeout, wasmbedv1.FailsafeLand, "AUTO.LAND", abi.VehicleLand),
			)

			It("flies two vehicles from two devices without cross-talk", px4Timeout, func(ctx SpecContext) {
				speed, why := testbed.VehicleSpeed(cfg.SpeedFactor, 2, runtime.NumCPU())
				By("given two vehicles, at " + why + ", each flown by its own device")
				AddReportEntry("vehicle speed", why)
				p := newPX4Spec(ctx, backend, testbed.Options{}, speed)
				v1 := p.vehicle(ctx, testbed.VehicleOptions{})
				v2 := p.vehicle(ctx, testbed.VehicleOptions{})
				d1 := p.pilot(ctx, v1, "pilot-1", "")
				d2 := p.pilot(ctx, v2, "pilot-2", "")
				r1, r2 := v1.Record(), v2.Record()
				DeferCleanup(r1.Stop)
				DeferCleanup(r2.Stop)

				By("when each device's app flies its own mission: 4 m and 9 m")
				p.fly(ctx, "low", d1.Name(), map[string]string{"altitude": "4", "hover_s": "10"}, "arm", "takeoff", "land")
				p.fly(ctx, "high", d2.Name(), map[string]string{"altitude": "9", "hover_s": "10"}, "arm", "takeoff", "land")

				By("then both fly and land, each at its own mission's height")
				for _, v := range []*testbed.Vehicle{v1, v2} {
					Eventually(seen(v), p.flightTimeout(80*time.Second)).Should(Satisfy(func(s mavobserver.Vehicle) bool {
						return landedAndDisarmed(s) && s.HasText("Disarmed by landing")
					}))
				}
				r1.Stop()
				r2.Stop()
				for _, m := range []struct {
					rec *mavobserver.Recorder
					alt float64
					who string
				}{{r1, 4, "vehicle 1 flew device 1's mission"}, {r2, 9, "vehicle 2 flew device 2's mission"}} {
					lo, hi := mavobserver.HoverBand(m.alt)
					Expect(m.rec.MaxAltRel()).To(And(BeNumerically(">=", lo), BeNumerically("<=", hi)), m.who)
				}

				By("then each device saw only its own vehicle")
				Expect(progress(d1)()).To(ContainElement(MatchRegexp(`^vehicle sysid=%d `, v1.SystemID)))
				Expect(progress(d2)()).To(ContainElement(MatchRegexp(`^vehicle sysid=%d `, v2.SystemID)))
				Expect(progress(d1)()).NotTo(ContainElement(MatchRegexp(`sysid=%d `, v2.SystemID)), "device 1 never saw vehicle 2")
				Expect(progress(d2)()).NotTo(ContainElement(MatchRegexp(`sysid=%d `, v1.SystemID)), "device 2 never saw vehicle 1")
			})
		})...)
	}
})
