package apps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmbed/wasmbed/firmware/abi"
)

// capabilityHint tells a person which Application field grants a
// capability.
var capabilityHint = map[abi.Capability]string{
	abi.CapLog:     "the log capability",
	abi.CapClock:   "the clock capability",
	abi.CapKV:      "the kv capability",
	abi.CapWASI:    "the wasi capability",
	abi.CapPublish: "the publish capability (a topic in capabilities.publish)",
	abi.CapMAVLink: "the mavlink capability (a command in capabilities.mavlink)",
}

// checkImports refuses a module that imports anything the device does not
// provide (UnknownImport) or that the spec does not grant
// (ImportNotGranted). It runs before instantiation so a refused app never
// executes. Every problem is listed, unknown imports first.
func checkImports(spec Spec, c wazero.CompiledModule, l layout, host, wasi map[string]api.FunctionDefinition) error {
	var unknown, denied []string
	notGranted := func(mod, name string, cp abi.Capability) {
		denied = append(denied, fmt.Sprintf("imports %s.%s, which needs %s; the Application does not request it", mod, name, capabilityHint[cp]))
	}
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case abi.ModuleName:
			f, ok := abi.Lookup(name)
			hostDef, defined := host[name]
			switch {
			case !ok || !defined:
				unknown = append(unknown, fmt.Sprintf("imports %s.%s, which the device does not define (the %s functions are listed in firmware/abi/README.md)",
					mod, name, abi.ModuleName))
			case !sameSignature(def, hostDef):
				unknown = append(unknown, fmt.Sprintf("imports %s.%s with type %s, but the device defines it as %s",
					mod, name, apiSignature(def), f.Signature()))
			case !spec.Capabilities.Grants(f.Capability):
				notGranted(mod, name, f.Capability)
			}
		case abi.WASIModuleName:
			hostDef, defined := wasi[name]
			switch {
			case !spec.Capabilities.WASI:
				notGranted(mod, name, abi.CapWASI)
			case !defined:
				unknown = append(unknown, fmt.Sprintf("imports %s.%s, which is not a WASI preview1 function", mod, name))
			case !sameSignature(def, hostDef):
				unknown = append(unknown, fmt.Sprintf("imports %s.%s with type %s, but WASI defines it as %s",
					mod, name, apiSignature(def), apiSignature(hostDef)))
			}
		default:
			unknown = append(unknown, fmt.Sprintf("imports %s.%s; apps may import only from %s and, with the wasi capability, %s",
				mod, name, abi.ModuleName, abi.WASIModuleName))
		}
	}
	for _, mem := range c.ImportedMemories() {
		mod, name, _ := mem.Import()
		unknown = append(unknown, fmt.Sprintf("imports the memory %s.%s; an app must define its own memory", mod, name))
	}
	for _, imp := range l.tableOrGlobalImports {
		unknown = append(unknown, fmt.Sprintf("imports the %s; the device provides only functions", imp))
	}
	switch {
	case len(unknown) > 0:
		e := failf(spec.Name, abi.ReasonUnknownImport, "%s", summarise(append(unknown, denied...)))
		e.permanent = true
		return e
	case len(denied) > 0:
		e := failf(spec.Name, abi.ReasonImportNotGranted, "%s", summarise(denied))
		e.permanent = true
		return e
	}
	return nil
}

func sameSignature(a, b api.FunctionDefinition) bool {
	return slices.Equal(a.ParamTypes(), b.ParamTypes()) && slices.Equal(a.ResultTypes(), b.ResultTypes())
}

// summarise joins problems, keeping the message short enough for a status.
func summarise(problems []string) string {
	const keep = 4
	if len(problems) <= keep {
		return strings.Join(problems, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(problems[:keep], "; "), len(problems)-keep)
}
