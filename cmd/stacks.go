package cmd

import (
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/programs/probe"
)

// stackNamer symbolizes the stacks of a probe run. Interim: addresses only.
type stackNamer struct{ opts probe.Options }

func newStackNamer(o probe.Options) *stackNamer { return &stackNamer{opts: o} }

func (n *stackNamer) event(m *bcc.Module, ev *probe.Event) {}

func (n *stackNamer) row(m *bcc.Module, a *probe.Agg, r *probe.AggRow) {}
