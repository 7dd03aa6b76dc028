// Package fleet starts devices that run the real Wasmbed firmware: as host
// processes (the firmware binary), in-process (the firmware's agent
// library, many per harness process, for large fleets), or as QEMU guests.
// Specs are written against the Device interface and the Backend chosen by
// configuration, so the same enrolment, deploy and disconnect specs run on
// every kind of device.
//
// Every device is provisioned the way a factory would: the CA bundle and,
// for token enrolment, a one-time token are written into its flash before
// its first boot. The device generates its own key on that boot.
package fleet
