package nbkit

import (
	"encoding/base64"
	"fmt"
	"html"

	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/janpfeifer/gonb/gonbui"
)

// LiveProgress is a sweep.Progress for a notebook cell: a status line naming the current run
// and, after each finished run, the training curves of the finished runs, both redrawn in place.
// Outside a notebook it does nothing.
type LiveProgress struct {
	out             string
	statusID, figID string
	finished        []sweep.Run
}

// NewLiveProgress returns a LiveProgress for the sweep whose runs are under out.
func NewLiveProgress(out string) *LiveProgress {
	return &LiveProgress{out: out, statusID: gonbui.UniqueId(), figID: gonbui.UniqueId()}
}

var _ sweep.Progress = (*LiveProgress)(nil)

// StartRun implements sweep.Progress.
func (l *LiveProgress) StartRun(r sweep.Run, pos, total int) {
	if gonbui.IsNotebook {
		gonbui.UpdateHtml(l.statusID, fmt.Sprintf("<b>run %d/%d</b>: %s", pos+1, total, html.EscapeString(r.Label())))
	}
}

// Stage implements sweep.Progress (the training's own progress bar shows the steps).
func (l *LiveProgress) Stage(r sweep.Run, stage string, done, total int) {}

// EndRun implements sweep.Progress: it redraws the curves of the finished runs.
func (l *LiveProgress) EndRun(r sweep.Run, skipped bool, err error) {
	if err != nil || !gonbui.IsNotebook {
		return
	}
	l.finished = append(l.finished, r)
	curves, err := plots.CurvesFromSweep(l.out, l.finished)
	if err != nil || len(curves) == 0 {
		return
	}
	fig, err := plots.TrainingCurves(curves...)
	if err != nil {
		return
	}
	if png, err := fig.Render("png"); err == nil {
		gonbui.UpdateHtml(l.figID, `<img width="900" src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(png)+`">`)
	}
}
