package gateway

import (
	"context"

	"github.com/wasmbed/wasmbed/sut/protocol"
)

// appSync converges each connected device's apps to its assignment.
type appSync struct{ g *Gateway }

func newAppSync(g *Gateway) *appSync { return &appSync{g: g} }

func (a *appSync) run(ctx context.Context)                       { <-ctx.Done() }
func (a *appSync) sessionStarted(*session)                       {}
func (a *appSync) sessionEnded(*session)                         {}
func (a *appSync) reported(*session)                             {}
func (a *appSync) deployResult(*session, *protocol.DeployResult) {}
func (a *appSync) stopResult(*session, *protocol.StopResult)     {}
func (a *appSync) published(*session, *protocol.AppPublish)      {}
func (a *appSync) deviceChanged(string)                          {}
func (a *appSync) applicationChanged(any)                        {}
