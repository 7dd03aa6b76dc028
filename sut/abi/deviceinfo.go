package abi

// DeviceInfo is the JSON object device_info writes.
type DeviceInfo struct {
	// Name is the Device's name.
	Name string `json:"name"`
	// Arch is its architecture (arm64, riscv64, x86_64, xtensa).
	Arch string `json:"arch"`
	// Profile is its hardware profile, e.g. arm64-virt or esp32-sim.
	Profile string `json:"profile,omitempty"`
	// App is the calling app's name.
	App string `json:"app"`
	// Args are the Application's args (WASI apps also get them as argv).
	Args []string `json:"args,omitempty"`
}
