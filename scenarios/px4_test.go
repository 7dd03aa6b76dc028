package scenarios

import (
	"context"
	"regexp"
	"strconv"
	"time"

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
// verdict about the flight comes from the Airspace's observer, which
// listens to the vehicle's own GCS link, never from the SUT.

// msgCommandAck is COMMAND_ACK's message id.
const msgCommandAck = 77

// px4Timeout bounds each px4 spec, so a wait on its context cannot hang.
var px4Timeout = SpecTimeout(5 * time.Minute)

// px4Spec is what each px4 scenario stands on.
type px4Spec struct {
	e   *env.Env
	tb  *testbed.Testbed
	air *testbed.Airspace
}

// newPX4Spec boots the SUT and an airspace of the given backend.
func newPX4Spec(ctx context.Context, backend testbed.VehicleBackend, o testbed.Options) px4Spec {
	GinkgoHelper()
	e, tb := newTestbed(ctx, o)
	air, err := testbed.NewAirspace(ctx, tb, testbed.AirspaceOptions{Backend: backend})
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
	hovering = func(alt float64) func(mavobserver.Vehicle) bool {
		return func(s mavobserver.Vehicle) bool {
			return s.Armed && s.Mode == "AUTO.LOITER" && s.AltRel > alt-0.5
		}
	}
	landedAndDisarmed = func(s mavobserver.Vehicle) bool {
		return !s.Armed && s.HasLandedState && s.LandedState == mavobserver.LandedOnGround
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
				p := newPX4Spec(ctx, backend, testbed.Options{})
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")
				rec := v.Record()
				DeferCleanup(rec.Stop)
				const alt, hover = 10.0, 30 * time.Second
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "10", "hover_s": "30"}, "arm", "takeoff", "land")

				By("the observer sees it climb, hold, then land and disarm")
				Eventually(seen(v), p.flightTimeout(30*time.Second)).Should(Satisfy(hovering(alt)))
				Eventually(seen(v), p.flightTimeout(hover+40*time.Second)).Should(Satisfy(landedAndDisarmed))
				rec.Stop()
				Expect(rec.MaxAltRel()).To(BeNumerically("~", alt, 0.5), "the target altitude, within ±0.5 m")
				near := rec.TimeNearAltRel(alt, 0.5)
				AddReportEntry("hover (vehicle time within ±0.5 m of 10 m)", near.String())
				Expect(near).To(BeNumerically(">=", hover), "hovered the configured time, in vehicle time")
				Expect(near).To(BeNumerically("<", hover+6*time.Second), "and then left for the ground")
				final := v.State()
				Expect(final.AltRel).To(BeNumerically("<", 0.5))

				By("the app measured the hover in vehicle time and finished")
				Eventually(progress(d)).Should(ContainElement("done"))
				Expect(progress(d)()).To(ContainElement(MatchRegexp(`^hover done after (3[0-9]{4}) ms of vehicle time$`)))
			})

			It("refuses a command the Application does not allow, on the device and at the gateway, before it reaches the vehicle", px4Timeout, func(ctx SpecContext) {
				p := newPX4Spec(ctx, backend, testbed.Options{Backend: "inprocess"})
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "5", "hover_s": "600", "try": "disarm"}, "arm", "takeoff", "land")
				Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(5)))

				By("the device refuses the app's own disarm: the app gets ERR_NOT_PERMITTED")
				Eventually(progress(d)).Should(ContainElement("tried disarm rc=-3"))

				By("a device that skips that check meets the gateway's")
				acks := v.State().MessageCounts[msgCommandAck]
				texts := v.State().TextCount
				agent := d.Device.(*fleet.InProcessDevice).Device().Agent
				res := agent.VehicleCommand(ctx, "mission", protocol.VehicleCommand{Command: abi.VehicleDisarm})
				Expect(res.Result).To(Equal(abi.VehicleNotGranted))
				Expect(res.Message).To(ContainSubstring("does not grant the disarm command"))
				res = agent.VehicleCommand(ctx, "someone-else", protocol.VehicleCommand{Command: abi.VehicleLand})
				Expect(res.Result).To(Equal(abi.VehicleNotGranted))

				gw := p.tb.SUT.Gateway("")
				Expect(gw.Metric(ctx, "wasmbed_gateway_vehicle_commands_total", map[string]string{"command": "disarm", "result": abi.VehicleNotGranted})).To(BeEquivalentTo(1))
				Expect(gw.Metric(ctx, "wasmbed_gateway_refusals_total", map[string]string{"stage": "vehicle", "reason": abi.VehicleNotGranted})).To(BeEquivalentTo(2))

				By("nor can a device forge telemetry on the reserved vehicle/ topics")
				agent.Publish("mission", abi.TopicVehicleHeartbeat, abi.Heartbeat{SystemID: 99, Autopilot: 12, Mode: "MANUAL"}.Append(nil))
				Eventually(func(ctx context.Context) (float64, error) {
					return gw.Metric(ctx, "wasmbed_gateway_vehicle_topic_publishes_dropped_total", nil)
				}).WithContext(ctx).WithTimeout(p.e.Config.Scale(10 * time.Second)).Should(BeEquivalentTo(1))

				By("nothing reached the vehicle: no COMMAND_ACK, no refusal text, still armed in the air")
				Consistently(seen(v), time.Second).Should(And(
					HaveField("MessageCounts", HaveKeyWithValue(BeEquivalentTo(msgCommandAck), acks)),
					HaveField("Armed", BeTrue()),
					HaveField("AltRel", BeNumerically(">", 4))))
				_, said := v.State().TextAfter("Disarming", texts)
				Expect(said).To(BeFalse())
				Expect(progress(d)()).NotTo(ContainElement(ContainSubstring("sysid=99")), "the app never saw the forged heartbeat")
			})

			It("brings a denied arm to the app and into the Application status", px4Timeout, func(ctx SpecContext) {
				p := newPX4Spec(ctx, backend, testbed.Options{})
				v := p.vehicle(ctx, testbed.VehicleOptions{})
				d := p.pilot(ctx, v, "pilot", "")
				p.fly(ctx, "manual", d.Name(), map[string]string{"mode": "MANUAL"}, "set_mode", "arm", "takeoff", "land")

				By("the vehicle itself refuses: MANUAL without RC")
				Eventually(seen(v), p.flightTimeout(10*time.Second)).Should(And(
					HaveField("Mode", "MANUAL"),
					Satisfy(func(s mavobserver.Vehicle) bool { return s.HasText("Arming denied") })))
				Expect(v.State().Armed).To(BeFalse())

				By("the app got the result with the autopilot's reason")
				Eventually(progress(d)).Should(ContainElement(MatchRegexp(
					`^failed: \{"id":\d+,"command":"arm","result":"temporarily_rejected","message":"Arming denied: Resolve system health failures first"\}$`)))

				By("and the Application status shows it")
				Eventually(ctx, observe.Application(p.e.Client, p.e.Namespace, "manual")).WithTimeout(p.e.Config.Scale(30 * time.Second)).Should(HaveField("Status.Devices", ContainElement(And(
					HaveField("Name", d.Name()),
					HaveField("State", wasmbedv1.AppRunning),
					HaveField("Reason", string(abi.ReasonVehicleCommandRejected)),
					HaveField("Message", "arm temporarily_rejected: Arming denied: Resolve system health failures first")))))
			})

			It("tells the app when the vehicle link is lost, while the vehicle runs its own failsafe", px4Timeout, func(ctx SpecContext) {
				p := newPX4Spec(ctx, backend, testbed.Options{})
				v := p.vehicle(ctx, testbed.VehicleOptions{DataLinkLoss: "rtl"})
				d := p.pilot(ctx, v, "pilot", "")
				p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "8", "hover_s": "600"}, "arm", "takeoff", "land")
				Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(8)))
				before := v.State().TextCount
				rec := v.Record()
				DeferCleanup(rec.Stop)

				v.Relay.Cut()
				By("the app is told")
				Eventually(progress(d), p.e.Config.Scale(10*time.Second)).Should(ContainElement("vehicle link lost"))
				By("the vehicle, no longer hearing a ground station, returns and lands by itself")
				Eventually(seen(v), p.flightTimeout(60*time.Second)).Should(Satisfy(func(s mavobserver.Vehicle) bool {
					_, lost := s.TextAfter("Connection to ground station lost", before)
					_, fs := s.TextAfter("Failsafe activated", before)
					return lost && fs && landedAndDisarmed(s)
				}))
				rec.Stop()
				Expect(rec.TimeInMode("AUTO.RTL")).To(BeNumerically(">", 0), "it flew AUTO.RTL on the way down")

				v.Relay.Restore()
				Eventually(progress(d), p.e.Config.Scale(10*time.Second)).Should(ContainElement("vehicle link up"))
				Eventually(seen(v), p.e.Config.Scale(10*time.Second)).Should(Satisfy(func(s mavobserver.Vehicle) bool {
					_, back := s.TextAfter("GCS connection regained", before)
					return back
				}))
			})

			DescribeTable("commands the Device's failsafe when the device flying the vehicle disconnects",
				func(ctx SpecContext, failsafe wasmbedv1.FailsafeAction, mode, command string) {
					p := newPX4Spec(ctx, backend, testbed.Options{})
					v := p.vehicle(ctx, testbed.VehicleOptions{})
					d := p.pilot(ctx, v, "pilot", failsafe)
					p.fly(ctx, "mission", d.Name(), map[string]string{"altitude": "6", "hover_s": "600"}, "arm", "takeoff", "land")
					Eventually(seen(v), p.flightTimeout(20*time.Second)).Should(Satisfy(hovering(6)))
					rec := v.Record()
					DeferCleanup(rec.Stop)

					d.Kill()
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
				p := newPX4Spec(ctx, backend, testbed.Options{})
				v1 := p.vehicle(ctx, testbed.VehicleOptions{})
				v2 := p.vehicle(ctx, testbed.VehicleOptions{})
				d1 := p.pilot(ctx, v1, "pilot-1", "")
				d2 := p.pilot(ctx, v2, "pilot-2", "")
				r1, r2 := v1.Record(), v2.Record()
				DeferCleanup(r1.Stop)
				DeferCleanup(r2.Stop)
				p.fly(ctx, "low", d1.Name(), map[string]string{"altitude": "4", "hover_s": "10"}, "arm", "takeoff", "land")
				p.fly(ctx, "high", d2.Name(), map[string]string{"altitude": "9", "hover_s": "10"}, "arm", "takeoff", "land")

				for _, v := range []*testbed.Vehicle{v1, v2} {
					Eventually(seen(v), p.flightTimeout(80*time.Second)).Should(Satisfy(func(s mavobserver.Vehicle) bool {
						return s.TextCount > 0 && landedAndDisarmed(s) && s.HasText("Disarmed by landing")
					}))
				}
				r1.Stop()
				r2.Stop()
				Expect(r1.MaxAltRel()).To(BeNumerically("~", 4, 0.5), "vehicle 1 flew device 1's mission")
				Expect(r2.MaxAltRel()).To(BeNumerically("~", 9, 0.5), "vehicle 2 flew device 2's mission")
				Expect(progress(d1)()).To(ContainElement(MatchRegexp(`^vehicle sysid=%d `, v1.SystemID)))
				Expect(progress(d2)()).To(ContainElement(MatchRegexp(`^vehicle sysid=%d `, v2.SystemID)))
				Expect(progress(d1)()).NotTo(ContainElement(MatchRegexp(`sysid=%d `, v2.SystemID)), "device 1 never saw vehicle 2")
				Expect(progress(d2)()).NotTo(ContainElement(MatchRegexp(`sysid=%d `, v1.SystemID)), "device 2 never saw vehicle 1")
			})
		})...)
	}
})
