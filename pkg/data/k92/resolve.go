package k92

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// Prefix starts every source name Resolve understands.
const Prefix = "kriegeskorte92:"

// SourceNames lists the names Resolve accepts (S and K are 1-based numbers).
var SourceNames = []string{
	Prefix + "mIT", Prefix + "hIT",
	Prefix + "hIT/S/K (S 1..4, K 1..2)", Prefix + "hIT/S (mean of 2 sessions)",
	Prefix + "behav/S (S 1..16)", Prefix + "behav-mean",
	Prefix + "hIT-subjects (4)", Prefix + "hIT-sessions (8)", Prefix + "behav-subjects (16)",
}

// CheckName reports whether spec is a source name Resolve accepts, without needing
// the data: the error is the one Resolve would give.
func CheckName(spec string) error {
	_, err := Resolve(&Set{}, spec)
	return err
}

// Resolve returns the RDMs named by spec, e.g. "kriegeskorte92:hIT/2/1" (one RDM)
// or "kriegeskorte92:behav-subjects" (16 RDMs). The RDMs are shared with set: do
// not modify them. An unknown name gives a one-line error listing the valid ones.
// Names are checked before the set is used, so a zero Set validates names (its
// RDMs are nil).
func Resolve(set *Set, spec string) ([]*rdm.RDM, error) {
	name, ok := strings.CutPrefix(spec, Prefix)
	if !ok {
		return nil, badName(spec)
	}
	switch name {
	case "mIT":
		return []*rdm.RDM{set.MIT}, nil
	case "hIT":
		return []*rdm.RDM{set.HIT}, nil
	case "behav-mean":
		return []*rdm.RDM{set.BehavMean}, nil
	case "hIT-subjects":
		return append([]*rdm.RDM(nil), set.HITSubjects[:]...), nil
	case "hIT-sessions":
		var out []*rdm.RDM
		for s := range set.HITSessions {
			out = append(out, set.HITSessions[s][:]...)
		}
		return out, nil
	case "behav-subjects":
		return append([]*rdm.RDM(nil), set.Behav[:]...), nil
	}
	parts := strings.Split(name, "/")
	nums := make([]int, len(parts)-1)
	for i, p := range parts[1:] {
		v, err := strconv.Atoi(p)
		if err != nil || p != strconv.Itoa(v) {
			return nil, badName(spec)
		}
		nums[i] = v
	}
	switch {
	case parts[0] == "hIT" && len(nums) == 2 && in(nums[0], NumHITSubjects) && in(nums[1], NumHITSessions):
		return []*rdm.RDM{set.HITSessions[nums[0]-1][nums[1]-1]}, nil
	case parts[0] == "hIT" && len(nums) == 1 && in(nums[0], NumHITSubjects):
		return []*rdm.RDM{set.HITSubjects[nums[0]-1]}, nil
	case parts[0] == "behav" && len(nums) == 1 && in(nums[0], NumBehavSubjects):
		return []*rdm.RDM{set.Behav[nums[0]-1]}, nil
	}
	return nil, badName(spec)
}

func in(v, n int) bool { return v >= 1 && v <= n }

func badName(spec string) error {
	return fmt.Errorf("k92: unknown RDM source %q; valid: %s", spec, strings.Join(SourceNames, ", "))
}
