// Package rsa implements representational similarity analysis: RDMs from
// pattern matrices, RDM comparison with rsatoolbox's methods and definitions,
// noise ceilings, and seeded inference (bootstrap over stimuli or subjects,
// 90% subsampling, permutation tests).
//
// RDMs are *rdm.RDM values (upper-triangle vectors). Comparisons drop the pairs
// that are NaN in either RDM, as rsatoolbox does with its NaN mask (rsatoolbox
// additionally requires both RDMs to have the same NaN positions; here the union
// is dropped). The package never imports GoMLX.
package rsa

import (
	"fmt"
	"strings"
)

// Method is an RDM comparison method. The names (String) are rsatoolbox's.
type Method int

const (
	// Corr is the Pearson correlation of the dissimilarity vectors ("corr").
	Corr Method = iota + 1
	// Spearman is Spearman's rank correlation with tie correction ("spearman").
	Spearman
	// RhoA is Spearman's rho-a, without tie correction ("rho-a"):
	// 12 sum (r-mean r)(s-mean s) / (m^3 - m) over m pairs.
	RhoA
	// Kendall is Kendall's tau-b ("kendall", also accepted as "tau-b").
	Kendall
	// TauA is Kendall's tau-a ("tau-a"): (con - dis) / (m(m-1)/2); adequate when a
	// model RDM predicts ties.
	TauA
	// Cosine is the cosine similarity of the dissimilarity vectors ("cosine").
	Cosine
	// CorrCov is the Pearson correlation after whitening with the covariance of
	// the dissimilarities under i.i.d. pattern noise ("corr_cov", rsatoolbox with
	// sigma_k = identity): the centred vectors are mapped to double-centred second
	// moment matrices and compared by cosine.
	CorrCov
	// CosineCov is the whitened cosine ("cosine_cov", rsatoolbox with sigma_k =
	// identity), the unbiased distance correlation.
	CosineCov
)

var methodNames = map[Method]string{
	Corr: "corr", Spearman: "spearman", RhoA: "rho-a", Kendall: "kendall",
	TauA: "tau-a", Cosine: "cosine", CorrCov: "corr_cov", CosineCov: "cosine_cov",
}

// Methods lists all comparison methods.
func Methods() []Method {
	return []Method{Corr, Spearman, RhoA, Kendall, TauA, Cosine, CorrCov, CosineCov}
}

// String returns rsatoolbox's name of the method.
func (m Method) String() string {
	if s, ok := methodNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// IsRank reports whether the method only depends on the ranks of the
// dissimilarities (spearman, rho-a, kendall, tau-a). Noise ceilings rank-transform
// subject RDMs before averaging for these methods.
func (m Method) IsRank() bool {
	return m == Spearman || m == RhoA || m == Kendall || m == TauA
}

func (m Method) valid() bool { _, ok := methodNames[m]; return ok }

// MethodFromString parses an rsatoolbox method name (case-insensitive). Accepted:
// corr (or pearson), spearman, rho-a, kendall (or tau-b), tau-a, cosine, corr_cov,
// cosine_cov; '-' and '_' are interchangeable.
func MethodFromString(s string) (Method, error) {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	switch k {
	case "corr", "pearson", "correlation":
		return Corr, nil
	case "spearman":
		return Spearman, nil
	case "rho-a", "rhoa":
		return RhoA, nil
	case "kendall", "tau-b", "taub":
		return Kendall, nil
	case "tau-a", "taua":
		return TauA, nil
	case "cosine":
		return Cosine, nil
	case "corr-cov":
		return CorrCov, nil
	case "cosine-cov":
		return CosineCov, nil
	}
	names := make([]string, 0, len(methodNames))
	for _, m := range Methods() {
		names = append(names, m.String())
	}
	return 0, fmt.Errorf("rsa: unknown comparison method %q (want one of %s)", s, strings.Join(names, ", "))
}
