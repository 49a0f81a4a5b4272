package brainguided

import "github.com/coarsealign/coarsealign/pkg/brainguided/result"

// The study's rows and their summaries live in the GoMLX-free package result; these names keep
// this package's API.
type (
	Row      = result.Row
	Contrast = result.Contrast
)

// Controls and targets of the result rows (see package result).
const (
	ControlNone     = result.ControlNone
	ControlPermuted = result.ControlPermuted
	ControlStart    = result.ControlStart
	CeilingLower    = result.CeilingLower
	CeilingUpper    = result.CeilingUpper

	TargetHeldOut  = result.TargetHeldOut
	TargetTrained  = result.TargetTrained
	TargetMIT      = result.TargetMIT
	TargetBehav    = result.TargetBehav
	TargetAccuracy = result.TargetAccuracy
	TargetAlign    = result.TargetAlign
)

// Header is the CSV header of the rows.
var Header = result.Header

// The functions of package result.
var (
	MeanCI       = result.MeanCI
	Summarize    = result.Summarize
	WriteCSV     = result.WriteCSV
	WriteResults = result.WriteResults
	ReadResults  = result.ReadResults
	Fprint       = result.Fprint
	Records      = result.Records
)
