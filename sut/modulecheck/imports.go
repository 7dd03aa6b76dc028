package modulecheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Host is what a device provides to import: the function definitions of
// its instantiated host modules, by export name.
type Host struct {
	// Wasmbed is the abi.ModuleName module.
	Wasmbed map[string]api.FunctionDefinition
	// WASI is the abi.WASIModuleName module.
	WASI map[string]api.FunctionDefinition
}

// Imports refuses a module that imports anything host does not provide
// (abi.ReasonUnknownImport) or that grants does not allow
// (abi.ReasonImportNotGranted), as a permanent *abi.Error for app. It runs
// before instantiation so a refused app never executes. Every problem is
// listed, unknown imports first.
func Imports(app string, grants func(abi.Capability) bool, c wazero.CompiledModule, l Layout, host Host) error {
	var unknown, denied []string
	notGranted := func(mod, name string, cp abi.Capability) {
		denied = append(denied, fmt.Sprintf("imports %s.%s, which needs %s; the Application does not request it", mod, name, cp.GrantedBy()))
	}
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case abi.ModuleName:
			f, ok := abi.Lookup(name)
			hostDef, defined := host.Wasmbed[name]
			switch {
			case !ok || !defined:
				unknown = append(unknown, fmt.Sprintf("imports %s.%s, which the device does not define (the %s functions are listed in sut/abi/README.md)",
					mod, name, abi.ModuleName))
			case !sameSignature(def, hostDef):
				unknown = append(unknown, fmt.Sprintf("imports %s.%s with type %s, but the device defines it as %s",
					mod, name, Signature(def), f.Signature()))
			case !grants(f.Capability):
				notGranted(mod, name, f.Capability)
			}
		case abi.WASIModuleName:
			hostDef, defined := host.WASI[name]
			switch {
			case !grants(abi.CapWASI):
				notGranted(mod, name, abi.CapWASI)
			case !defined:
				unknown = append(unknown, fmt.Sprintf("imports %s.%s, which is not a WASI preview1 function", mod, name))
			case !sameSignature(def, hostDef):
				unknown = append(unknown, fmt.Sprintf("imports %s.%s with type %s, but WASI defines it as %s",
					mod, name, Signature(def), Signature(hostDef)))
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
	for _, imp := range l.TableOrGlobalImports {
		unknown = append(unknown, fmt.Sprintf("imports the %s; the device provides only functions", imp))
	}
	switch {
	case len(unknown) > 0:
		return &abi.Error{App: app, Reason: abi.ReasonUnknownImport, Message: summarise(append(unknown, denied...)), Permanent: true}
	case len(denied) > 0:
		return &abi.Error{App: app, Reason: abi.ReasonImportNotGranted, Message: summarise(denied), Permanent: true}
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
