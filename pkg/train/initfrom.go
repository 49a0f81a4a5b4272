package train

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// ModelScope is the scope of the network's variables (models.Build); the optimizer's state,
// the global step, the random-number state and an objective's own variables live elsewhere.
const ModelScope = "/model"

// InitFrom copies the network's variables (those under ModelScope: weights and batch-norm
// statistics) from src, e.g. a trained run's OpenRun(...).Store, into the trainer's store, so
// that training starts from that model with a fresh optimizer, step count and objective
// variables (fine-tuning). It must be called before the first step, and the trainer's model
// spec must be the one src was trained with (shapes are checked).
func (t *Trainer) InitFrom(src *model.Store) error {
	if t.GlobalStep() > 0 || t.trainExec != nil {
		return fmt.Errorf("train: InitFrom after training started (step %d)", t.GlobalStep())
	}
	n := 0
	for v := range src.IterVariables() {
		path := v.Path()
		if !strings.HasPrefix(path, ModelScope+"/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return fmt.Errorf("train: InitFrom %s: %w", path, err)
		}
		if val, err = val.LocalClone(); err != nil {
			return fmt.Errorf("train: InitFrom %s: %w", path, err)
		}
		if dst := t.Store.GetVariable(path); dst != nil {
			if !dst.Shape().Equal(val.Shape()) {
				return fmt.Errorf("train: InitFrom %s: shape %v, the trainer has %v", path, val.Shape(), dst.Shape())
			}
			if err := dst.SetValue(val); err != nil {
				return fmt.Errorf("train: InitFrom %s: %w", path, err)
			}
		} else {
			nv, err := t.Store.Scope(v.Scope()).CreateVariable(v.Name(), val)
			if err != nil {
				return fmt.Errorf("train: InitFrom %s: %w", path, err)
			}
			nv.SetTrainable(v.Trainable)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("train: InitFrom: the source store has no variables under %s (an untrained run?)", ModelScope)
	}
	return nil
}
