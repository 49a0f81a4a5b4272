package matfile

import (
	"encoding/binary"
	"fmt"
)

func ExampleRead() {
	// A little MAT-file built in memory: a 1x2 struct array "RDMs" with fields RDM and name,
	// its first element's RDM a 2x2 double matrix stored as uint8, as MATLAB often does.
	e := enc{order: binary.LittleEndian}
	b := e.file(true, e.structArr("RDMs", []int{1, 2}, []string{"RDM", "name"},
		e.matrix("", ClassDouble, 0, []int{2, 2}, e.numbers(miUINT8, []float64{0, 3, 3, 0})), e.chars("", "hIT"),
		e.matrix("", ClassDouble, 0, []int{2, 2}, e.numbers(miUINT8, []float64{0, 5, 5, 0})), e.chars("", "mIT")))

	f, err := Read(b, nil)
	if err != nil {
		panic(err)
	}
	v, _ := f.Var("RDMs")
	s := v.(*Struct)
	rdm, _ := s.Field("RDM", 1)
	name, _ := s.Field("name", 1)
	fmt.Println(f.Names(), s.Dims, s.Fields)
	fmt.Println(name.(*Char).String(), rdm.Class(), rdm.Size(), rdm.(*Numeric).Data)
	// Output:
	// [RDMs] [1 2] [RDM name]
	// mIT double [2 2] [0 5 5 0]
}
