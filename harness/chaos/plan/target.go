package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// TargetType is what kind of thing a fault is aimed at.
type TargetType string

// The target types. Devices, gateways and vehicles are named by the fleet;
// controllers by replica index; etcd is the one etcd of the run's cluster.
const (
	TargetDevice     TargetType = "device"
	TargetGateway    TargetType = "gateway"
	TargetController TargetType = "controller"
	TargetEtcd       TargetType = "etcd"
	TargetVehicle    TargetType = "vehicle"
)

// Target names one thing of the fleet. It is written `device:d-3`,
// `gateway:gw-0`, `vehicle:v-1`, `etcd`, `controller` (whichever replica
// leads when the fault is injected: the interesting one to kill) or
// `controller:1` (that replica, leader or not).
//
// A container is not a target type of its own: container faults are aimed
// at a device, gateway or controller that runs in a container, so one name
// means one thing in every fault of a plan.
type Target struct {
	Type TargetType
	// Name is the device, gateway or vehicle name, or the controller's
	// replica index ("" for the leader); empty for etcd.
	Name string
}

// Device returns the target `device:name`.
func Device(name string) Target { return Target{Type: TargetDevice, Name: name} }

// Gateway returns the target `gateway:name`.
func Gateway(name string) Target { return Target{Type: TargetGateway, Name: name} }

// Vehicle returns the target `vehicle:name`.
func Vehicle(name string) Target { return Target{Type: TargetVehicle, Name: name} }

// Etcd is the run's etcd.
var Etcd = Target{Type: TargetEtcd}

// LeaderController is the controller replica that leads at injection.
var LeaderController = Target{Type: TargetController}

// Controller returns the target `controller:i`.
func Controller(i int) Target { return Target{Type: TargetController, Name: strconv.Itoa(i)} }

// String is the target as a plan writes it.
func (t Target) String() string {
	if t.Name == "" {
		return string(t.Type)
	}
	return string(t.Type) + ":" + t.Name
}

// IsZero reports whether t names nothing.
func (t Target) IsZero() bool { return t == Target{} }

// ParseTarget reads a target as a plan writes it.
func ParseTarget(s string) (Target, error) {
	typ, name, hasName := strings.Cut(s, ":")
	t := Target{Type: TargetType(typ), Name: name}
	switch t.Type {
	case TargetDevice, TargetGateway, TargetVehicle:
		if !hasName || name == "" {
			return Target{}, fmt.Errorf("target %q names no %s: want %s:<name>", s, typ, typ)
		}
		if !validName(name) {
			return Target{}, fmt.Errorf("target %q: %q is not a valid name (lower-case letters, digits and '-')", s, name)
		}
	case TargetEtcd:
		if hasName {
			return Target{}, fmt.Errorf("target %q: etcd takes no name (a run has one etcd): want etcd", s)
		}
	case TargetController:
		if hasName {
			if i, err := strconv.Atoi(name); err != nil || i < 0 || strconv.Itoa(i) != name {
				return Target{}, fmt.Errorf("target %q: want controller (the leader) or controller:<replica index>", s)
			}
		}
	default:
		return Target{}, fmt.Errorf("target %q: unknown target type %q; want device:<name>, gateway:<name>, controller, controller:<n>, etcd or vehicle:<name>", s, typ)
	}
	return t, nil
}

// validName is a DNS label, as Kubernetes object names and the harness's
// process names are.
func validName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
