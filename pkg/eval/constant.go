package eval

// ConstantStimulus returns the first stimulus (row) of f whose pattern is constant across units,
// and true if there is one. A layer with no units counts as constant (row 0). Such a layer has an
// undefined correlation-distance RDM (1 - Pearson of a constant pattern), so callers skip it.
func ConstantStimulus(f Features) (int, bool) {
	if f.D == 0 {
		return 0, f.N > 0
	}
	for i := 0; i < f.N; i++ {
		row := f.X[i*f.D : (i+1)*f.D]
		constant := true
		for _, v := range row[1:] {
			if v != row[0] {
				constant = false
				break
			}
		}
		if constant {
			return i, true
		}
	}
	return 0, false
}
