package sweep

// SSL is the granularity of the contrastive self-supervised baseline (issue 17): SimCLR
// (pkg/ssl), trained on the same images without labels, every image its own class: the fine
// end of the axis ("instance (SSL)" in the figures). Like Fine it has no label source.
const SSL = "ssl"

// isBaseline reports whether granularity g is a baseline without a label source (Fine,
// Untrained, SSL) rather than a K value.
func isBaseline(g string) bool { return g == Fine || g == Untrained || g == SSL }
