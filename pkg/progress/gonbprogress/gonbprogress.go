// Package gonbprogress shows training progress as an HTML bar in a GoNB notebook cell,
// updated in place. Outside a notebook it does nothing (gonbui is a no-op there).
package gonbprogress

import (
	"fmt"
	"html"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/janpfeifer/gonb/gonbui"
)

// HTML is a progress.Reporter rendering into one transient HTML block of the notebook.
type HTML struct {
	id     string
	epochs []string
}

// New returns an HTML reporter.
func New() *HTML { return &HTML{id: gonbui.UniqueId()} }

var _ progress.Reporter = (*HTML)(nil)

func (h *HTML) render(u *progress.Update) {
	var b strings.Builder
	if u != nil {
		pct := 0.0
		if u.TotalSteps > 0 {
			pct = 100 * float64(u.Step) / float64(u.TotalSteps)
		}
		fmt.Fprintf(&b, `<div style="font-family:monospace"><progress value="%d" max="%d" style="width:40%%"></progress> %.1f%% step %d/%d &mdash; %s</div>`,
			u.Step, u.TotalSteps, pct, u.Step, u.TotalSteps, html.EscapeString(progress.Line(*u)))
	}
	for _, e := range h.epochs {
		fmt.Fprintf(&b, `<div style="font-family:monospace">%s</div>`, html.EscapeString(e))
	}
	gonbui.UpdateHtml(h.id, b.String())
}

// Step implements progress.Reporter.
func (h *HTML) Step(u progress.Update) {
	if !gonbui.IsNotebook {
		return
	}
	h.render(&u)
}

// EpochEnd implements progress.Reporter.
func (h *HTML) EpochEnd(e progress.Epoch) {
	h.epochs = append(h.epochs, progress.EpochLine(e))
	if gonbui.IsNotebook {
		h.render(nil)
	}
}

// Close implements progress.Reporter.
func (h *HTML) Close() {}
