package attack

import (
	"fmt"
	"strings"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Table renders the catalogue as the Markdown table README.md carries
// between its attack-table markers: every attack, what it does, and the
// refusal it must meet.
func Table() string {
	var b strings.Builder
	b.WriteString("| Category | Attack | What it does | Refused at | Reason code | Attacker told |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, a := range catalog {
		told := "no"
		if a.Tells {
			told = "yes"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | `%s` | %s |\n", a.Category, a.Name, strings.ReplaceAll(a.Does, "|", `\|`), stageText[a.Stage], a.Reason, told)
	}
	return b.String()
}

// stageText says where each stage is, for readers of the table.
var stageText = map[refusal.Stage]string{
	refusal.StageConnection: "accept (connection cap)",
	refusal.StageHandshake:  "TLS handshake",
	refusal.StageFrame:      "frame decoder",
	refusal.StageSession:    "session",
	refusal.StageEnrollment: "enrolment",
	refusal.StageDeploy:     "deploy (gateway or device)",
	refusal.StageApp:        "device runtime",
	StageAPIServer:          "API server (RBAC)",
}
