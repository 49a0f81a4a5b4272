package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TorchTensor is one PyTorch state_dict entry and the store variable it becomes.
type TorchTensor struct {
	Key   string // state_dict key, e.g. "conv1.weight"; the file is Key+".npy".
	Path  string // absolute store path, e.g. "/model/conv1/conv/weights".
	Torch []int  // shape in PyTorch's layout.
	Shape []int  // shape in coarsealign's layout.
	// convert maps data in PyTorch's layout (row-major, shape Torch) to coarsealign's.
	convert func([]float64) []float64
}

// Convert maps values in PyTorch's layout (row-major, shape Torch) to coarsealign's (Shape).
func (tt TorchTensor) Convert(d []float64) []float64 { return tt.convert(d) }

// TorchLayout lists the PyTorch state_dict entries of an AlexNetBN spec and their variables,
// in network order. The keys are those of bench/parity/torch_ref.py (a module per layer):
//
//	convN.weight [out, in, kh, kw]            -> /model/convN/conv/weights [kh, kw, in, out]
//	fc6.weight, fc7.weight [out, in]           -> /model/fcN/dense/weights [in, out]
//	fc8.weight [K, in], fc8.bias [K]           -> /model/fc8/dense/{weights [in, K], biases}
//	<layer>_bn.weight, .bias, .running_mean, .running_var -> /model/<layer>/bn/{scale, offset, mean, variance}
//
// fc6.weight is in PyTorch's flatten order of the pooled [C, 3, 3] map (column c*9 + h*3 + w);
// coarsealign flattens [3, 3, C] (column (h*3 + w)*C + c), so the columns are permuted.
// num_batches_tracked entries are not needed (momentum is fixed).
func TorchLayout(s Spec) ([]TorchTensor, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if a, ok := Lookup(s.Arch); ok && a.TorchLayout != nil {
		return a.TorchLayout(s)
	}
	if s.Arch != AlexNetBN {
		return nil, fmt.Errorf("models: PyTorch import is implemented for %s, not %s", AlexNetBN, s.Arch)
	}
	geo, _ := AlexNetGeometryFor(s.InputSize)
	chans := s.ConvChannels()
	fc := s.HiddenFC()
	var out []TorchTensor
	bn := func(layer string, c int) {
		for _, p := range [][2]string{{"weight", "scale"}, {"bias", "offset"}, {"running_mean", "mean"}, {"running_var", "variance"}} {
			out = append(out, TorchTensor{Key: layer + "_bn." + p[0], Path: "/" + ModelScope + "/" + layer + "/bn/" + p[1],
				Torch: []int{c}, Shape: []int{c}, convert: identity})
		}
	}
	in := s.Channels
	for i, g := range geo {
		layer := AlexNetLayers[i]
		o, k, cin := chans[i], g.Kernel, in
		out = append(out, TorchTensor{Key: layer + ".weight", Path: "/" + ModelScope + "/" + layer + "/conv/weights",
			Torch: []int{o, cin, k, k}, Shape: []int{k, k, cin, o}, convert: func(d []float64) []float64 {
				// [o, i, h, w] -> [h, w, i, o]
				r := make([]float64, len(d))
				for a := range o {
					for b := range cin {
						for h := range k {
							for w := range k {
								r[((h*k+w)*cin+b)*o+a] = d[((a*cin+b)*k+h)*k+w]
							}
						}
					}
				}
				return r
			}})
		bn(layer, o)
		in = o
	}
	cells := adaptiveSize * adaptiveSize
	c5 := in
	in = c5 * cells
	for j, layer := range AlexNetLayers[5:] {
		cols := identityIndex
		if j == 0 { // torch column c*cells + p (NCHW flatten) -> ours p*c5 + c (NHWC)
			cols = func(col int) int { return (col%cells)*c5 + col/cells }
		}
		out = append(out, TorchTensor{Key: layer + ".weight", Path: "/" + ModelScope + "/" + layer + "/dense/weights",
			Torch: []int{fc, in}, Shape: []int{in, fc}, convert: linearToDense(fc, in, cols)})
		bn(layer, fc)
		in = fc
	}
	k := s.NumClasses
	out = append(out,
		TorchTensor{Key: "fc8.weight", Path: "/" + ModelScope + "/fc8/dense/weights", Torch: []int{k, fc}, Shape: []int{fc, k},
			convert: linearToDense(k, fc, identityIndex)},
		TorchTensor{Key: "fc8.bias", Path: "/" + ModelScope + "/fc8/dense/biases", Torch: []int{k}, Shape: []int{k}, convert: identity})
	return out, nil
}

// linearToDense converts an nn.Linear weight [out, in] to a dense kernel [in, out], putting
// PyTorch's input column col at row cols(col).
func linearToDense(out, in int, cols func(int) int) func([]float64) []float64 {
	return func(d []float64) []float64 {
		r := make([]float64, len(d))
		for a := range out {
			for col := range in {
				r[cols(col)*out+a] = d[a*in+col]
			}
		}
		return r
	}
}

func identityIndex(i int) int { return i }

func identity(d []float64) []float64 { return d }

// ImportTorch sets the variables of an AlexNetBN model in store from a PyTorch state_dict saved
// as one .npy file per entry in dir (dir/<key>.npy, float32 or float64; see TorchLayout for the
// keys, layouts and conversions; bench/parity/torch_ref.py writes such folders). Every entry must
// be present with its exact shape; existing variables are overwritten, missing ones created, so
// it can run before or after the model graph is first built. Errors name the file.
func ImportTorch(store *model.Store, s Spec, dir string) error {
	layout, err := TorchLayout(s)
	if err != nil {
		return err
	}
	for _, tt := range layout {
		f := filepath.Join(dir, tt.Key+".npy")
		shape, data, err := npy.ReadArray(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("models: PyTorch weights: %s is missing (state_dict key %q, shape %v)", f, tt.Key, tt.Torch)
			}
			return fmt.Errorf("models: PyTorch weights: %w", err)
		}
		if !slices.Equal(shape, tt.Torch) {
			return fmt.Errorf("models: PyTorch weights: %s has shape %v, the spec needs %v", f, shape, tt.Torch)
		}
		vals := tt.Convert(data)
		f32 := make([]float32, len(vals))
		for i, v := range vals {
			f32[i] = float32(v)
		}
		t := tensors.FromShape(shapes.Make(dtypes.Float32, tt.Shape...))
		tensors.MutableFlatData(t, func(d []float32) { copy(d, f32) })
		if v := store.GetVariable(tt.Path); v != nil {
			if !slices.Equal(v.Shape().Dimensions, tt.Shape) {
				return fmt.Errorf("models: variable %s has shape %v, %s gives %v", tt.Path, v.Shape().Dimensions, f, tt.Shape)
			}
			if err := v.SetValue(t); err != nil {
				return fmt.Errorf("models: %s: %w", tt.Path, err)
			}
			continue
		}
		scope, name := filepath.Dir(tt.Path), filepath.Base(tt.Path)
		if _, err := store.Scope(scope).CreateVariable(name, t); err != nil {
			return fmt.Errorf("models: %s: %w", tt.Path, err)
		}
	}
	return nil
}
