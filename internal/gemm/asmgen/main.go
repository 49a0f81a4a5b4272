// Command asmgen writes internal/gemm's amd64 assembly micro-kernels with avo
// (github.com/mmcloughlin/avo): kernels_amd64.s and their Go declarations kernels_amd64_stub.go.
//
//	go run ./asmgen -dir .   (from internal/gemm; see the go:generate line in asm_amd64.go)
//
// Every kernel has the signature func(k int, a, b, c *T, ldc int, acc bool) and computes the
// mr x nr tile C[r][j] (+)= sum_{l<k} a[l*mr+r] * b[l*nr+j]: A packed k-major in mr-row panels,
// B packed k-major in nr-column panels, C row-major with row stride ldc elements (acc: add to C).
// Its ...Direct variant, func(k int, a *T, lda int, b, c *T, ldc int, acc bool), reads A in
// place instead: A(r, l) = a[r*lda+l] (row-major A, no packing).
// The tile lives in registers (mr x nr/lanes accumulators); A elements are broadcast.
// The fmaPeak* functions run n iterations of 12 independent FMAs, for the peak-rate benchmark.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"
)

// kern describes one micro-kernel.
type kern struct {
	name  string
	elem  int  // bytes per element: 4 (float32) or 8 (float64)
	zmm   bool // AVX-512 (512-bit, 32 registers) rather than AVX2 (256-bit, 16 registers)
	mr    int  // rows of the tile
	nvec  int  // vectors per tile row
	unrol int  // k iterations per loop trip
}

var kernels = []kern{
	{"sgemm6x16AVX2", 4, false, 6, 2, 4},
	{"dgemm6x8AVX2", 8, false, 6, 2, 4},
	{"sgemm12x32AVX512", 4, true, 12, 2, 4},
	{"dgemm12x16AVX512", 8, true, 12, 2, 4},
}

func vreg(zmm bool, i int) reg.VecPhysical {
	if zmm {
		return [...]reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
			reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15, reg.Z16, reg.Z17,
			reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23, reg.Z24, reg.Z25, reg.Z26, reg.Z27,
			reg.Z28, reg.Z29, reg.Z30, reg.Z31}[i]
	}
	return [...]reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}[i]
}

// ops are the element-type specific instructions.
type ops struct {
	bcast, fma, add, mov func(...operand.Op)
	typ                  string
}

func opsFor(c *build.Context, elem int) ops {
	if elem == 4 {
		return ops{c.VBROADCASTSS, c.VFMADD231PS, c.VADDPS, c.VMOVUPS, "float32"}
	}
	return ops{c.VBROADCASTSD, c.VFMADD231PD, c.VADDPD, c.VMOVUPD, "float64"}
}

func zero(c *build.Context, zmm bool, v reg.VecPhysical) {
	if zmm {
		c.VPXORD(v, v, v) // VXORPS on zmm needs AVX512DQ
	} else {
		c.VXORPS(v, v, v)
	}
}

// aPrefetch is how far ahead (bytes) the packed kernels prefetch A: about 8 loop trips.
const aPrefetch = 1024

// genKernel writes k's packed kernel, or with direct the variant that reads A in place:
// func(k int, a *T, lda int, b, c *T, ldc int, acc bool) with A(r, l) = a[r*lda+l].
func genKernel(c *build.Context, k kern, direct bool) {
	o := opsFor(c, k.elem)
	vbytes := 32
	if k.zmm {
		vbytes = 64
	}
	nr := k.nvec * vbytes / k.elem
	name := k.name
	isa := "AVX2 and FMA"
	if k.zmm {
		isa = "AVX-512F"
	}
	if direct {
		name += "Direct"
		c.Function(name)
		c.Attributes(attr.NOSPLIT)
		c.SignatureExpr(fmt.Sprintf("func(k int, a *%s, lda int, b, c *%s, ldc int, acc bool)", o.typ, o.typ))
		c.Doc(fmt.Sprintf("%s is %s with A read in place: a[r*lda+l] instead of a[l*%d+r] (%s).", name, k.name, k.mr, isa))
	} else {
		c.Function(name)
		c.Attributes(attr.NOSPLIT)
		c.SignatureExpr(fmt.Sprintf("func(k int, a, b, c *%s, ldc int, acc bool)", o.typ))
		c.Doc(fmt.Sprintf("%s sets (acc: adds to) the %d x %d %s tile c[r*ldc+j] to sum_{l<k} a[l*%d+r]*b[l*%d+j] (%s).",
			name, k.mr, nr, o.typ, k.mr, nr, isa))
	}
	kn := c.Load(c.Param("k"), reg.RCX)
	ap := c.Load(c.Param("a"), reg.RSI)
	bp := c.Load(c.Param("b"), reg.RDI)
	// direct: row r of A at base[r/3] + (r%3)*lda bytes, base[q] = a + 3q*lda.
	var bases []reg.Register
	var ldaB reg.Register
	if direct {
		ldaB = c.Load(c.Param("lda"), reg.R10)
		c.SHLQ(operand.Imm(uint64(log2(k.elem))), ldaB)
		bases = []reg.Register{ap}
		free := []reg.Register{reg.R11, reg.R12, reg.R13, reg.R14, reg.R15}
		for q := 1; q < (k.mr+2)/3; q++ {
			b := free[q-1]
			c.LEAQ(operand.Mem{Base: bases[q-1], Index: ldaB, Scale: 2}, b)
			c.ADDQ(ldaB, b)
			bases = append(bases, b)
		}
	}
	aMem := func(step, r int) operand.Mem {
		if !direct {
			return operand.Mem{Base: ap, Disp: (step*k.mr + r) * k.elem}
		}
		m := operand.Mem{Base: bases[r/3], Disp: step * k.elem}
		if r%3 > 0 {
			m.Index, m.Scale = ldaB, uint8(r%3)
		}
		return m
	}
	advanceA := func(steps int) {
		if !direct {
			c.ADDQ(operand.U32(steps*k.mr*k.elem), ap)
			return
		}
		for _, b := range bases {
			c.ADDQ(operand.U32(steps*k.elem), b)
		}
	}
	acc := make([][]reg.VecPhysical, k.mr)
	for r := range acc {
		acc[r] = make([]reg.VecPhysical, k.nvec)
		for v := range acc[r] {
			acc[r][v] = vreg(k.zmm, r*k.nvec+v)
			zero(c, k.zmm, acc[r][v])
		}
	}
	bv := make([]reg.VecPhysical, k.nvec)
	for v := range bv {
		bv[v] = vreg(k.zmm, k.mr*k.nvec+v)
	}
	av := vreg(k.zmm, k.mr*k.nvec+k.nvec)
	body := func(step int) {
		for v := range bv {
			o.mov(operand.Mem{Base: bp, Disp: (step*nr + v*vbytes/k.elem) * k.elem}, bv[v])
		}
		for r := range k.mr {
			o.bcast(aMem(step, r), av)
			for v := range bv {
				o.fma(bv[v], av, acc[r][v])
			}
		}
	}
	// Prefetch the C tile (its rows are ldc apart, often a power-of-two stride that maps them to
	// one L1 set) so that the stores at the end do not wait for memory.
	cpre := reg.RBX
	c.Load(c.Param("c"), cpre)
	ldcPre := reg.RDX
	c.Load(c.Param("ldc"), ldcPre)
	c.SHLQ(operand.Imm(uint64(log2(k.elem))), ldcPre)
	rowBytes := k.nvec * vbytes
	for r := range k.mr {
		for off := 0; off < rowBytes; off += 64 {
			c.PREFETCHT0(operand.Mem{Base: cpre, Disp: off})
		}
		c.PREFETCHT0(operand.Mem{Base: cpre, Disp: rowBytes - 1})
		if r < k.mr-1 {
			c.ADDQ(ldcPre, cpre)
		}
	}
	// Packed A streams from L2: prefetch it aPrefetch bytes ahead, one line per 64 bytes consumed.
	aTrip := k.unrol * k.mr * k.elem
	n4 := reg.RAX
	c.MOVQ(kn, n4)
	c.SHRQ(operand.Imm(uint64(log2(k.unrol))), n4)
	c.JZ(operand.LabelRef(name + "_tail"))
	c.Label(name + "_loop")
	if !direct {
		for off := 0; off < aTrip; off += 64 {
			c.PREFETCHT0(operand.Mem{Base: ap, Disp: aPrefetch + off})
		}
	}
	for s := range k.unrol {
		body(s)
	}
	advanceA(k.unrol)
	c.ADDQ(operand.U32(k.unrol*nr*k.elem), bp)
	c.DECQ(n4)
	c.JNZ(operand.LabelRef(name + "_loop"))
	c.Label(name + "_tail")
	c.ANDQ(operand.Imm(uint64(k.unrol-1)), kn)
	c.JZ(operand.LabelRef(name + "_store"))
	c.Label(name + "_loop1")
	body(0)
	advanceA(1)
	c.ADDQ(operand.U32(nr*k.elem), bp)
	c.DECQ(kn)
	c.JNZ(operand.LabelRef(name + "_loop1"))

	c.Label(name + "_store")
	cp := c.Load(c.Param("c"), reg.RDX)
	ldc := c.Load(c.Param("ldc"), reg.R8)
	c.SHLQ(operand.Imm(uint64(log2(k.elem))), ldc)
	flag := c.Load(c.Param("acc"), reg.R9B)
	c.TESTB(flag, flag)
	c.JNZ(operand.LabelRef(name + "_add"))
	store := func(add bool) {
		for r := range k.mr {
			for v := range k.nvec {
				m := operand.Mem{Base: cp, Disp: v * vbytes}
				if add {
					o.add(m, acc[r][v], acc[r][v])
				}
				o.mov(acc[r][v], m)
			}
			if r < k.mr-1 {
				c.ADDQ(ldc, cp)
			}
		}
		c.VZEROUPPER()
		c.RET()
	}
	store(false)
	c.Label(name + "_add")
	store(true)
}

// genPeak writes fmaPeak<name>(n int): n iterations of 12 independent FMAs on zeroed registers.
func genPeak(c *build.Context, name string, elem int, zmm bool) {
	o := opsFor(c, elem)
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr("func(n int)")
	c.Doc(fmt.Sprintf("%s runs n iterations of 12 independent %s FMAs (the peak-rate loop).", name, o.typ))
	n := c.Load(c.Param("n"), reg.RCX)
	for i := range 14 {
		zero(c, zmm, vreg(zmm, i))
	}
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef(name + "_done"))
	c.Label(name + "_loop")
	for i := range 12 {
		o.fma(vreg(zmm, 12), vreg(zmm, 13), vreg(zmm, i))
	}
	c.DECQ(n)
	c.JNZ(operand.LabelRef(name + "_loop"))
	c.Label(name + "_done")
	c.VZEROUPPER()
	c.RET()
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

// generate returns the assembly and the stub file.
func generate() (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("amd64")
	for _, k := range kernels {
		genKernel(c, k, false)
		genKernel(c, k, true)
	}
	genPeak(c, "fmaPeakF32AVX2", 4, false)
	genPeak(c, "fmaPeakF64AVX2", 8, false)
	genPeak(c, "fmaPeakF32AVX512", 4, true)
	genPeak(c, "fmaPeakF64AVX512", 8, true)
	f, err := c.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := pass.Compile.Execute(f); err != nil {
		return nil, nil, err
	}
	cfg := printer.Config{Argv: []string{"go", "run", "./asmgen"}, Pkg: "gemm"}
	if asm, err = printer.NewGoAsm(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	return asm, stubs, nil
}

func main() {
	dir := flag.String("dir", ".", "folder to write kernels_amd64.s and kernels_amd64_stub.go to")
	flag.Parse()
	asm, stubs, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	for name, b := range map[string][]byte{"kernels_amd64.s": asm, "kernels_amd64_stub.go": stubs} {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
