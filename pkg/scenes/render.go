package scenes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Scene holds a validated Config, the meshes of its categories and identities, and the CIFAR
// background pool when the config uses one. It is safe for concurrent use; each goroutine renders
// with its own Renderer.
type Scene struct {
	cfg    Config
	meshes [][]*Mesh // [label][identity]
	pool   *Pool
}

// NewScene builds the meshes of cfg and loads its CIFAR pool (if Backgrounds holds "cifar"; the
// folder is CIFAR.Dir, else dataDir/cifar10-jpg/train).
func NewScene(cfg Config, dataDir string) (*Scene, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scene{cfg: cfg}
	for _, c := range cfg.categories() {
		var row []*Mesh
		for _, id := range Identities(c, cfg.Identities) {
			m, err := BuildMesh(c, id)
			if err != nil {
				return nil, err
			}
			row = append(row, m)
		}
		s.meshes = append(s.meshes, row)
	}
	for _, b := range cfg.Backgrounds {
		if b == BgCIFAR {
			p, err := LoadPool(cfg.CIFAR.Dir, dataDir, cfg.CIFAR.Pool)
			if err != nil {
				return nil, err
			}
			s.pool = p
		}
	}
	return s, nil
}

// Config returns the scene's config.
func (s *Scene) Config() Config { return s.cfg }

// Pool returns the CIFAR background pool (nil without CIFAR backgrounds).
func (s *Scene) Pool() *Pool { return s.pool }

// Sample draws the latents of image i of seed (Config.Sample with the scene's pool), and names
// the CIFAR file.
func (s *Scene) Sample(seed uint64, i int) Latents {
	n := 0
	if s.pool != nil {
		n = len(s.pool.Paths)
	}
	l := s.cfg.Sample(seed, i, n)
	if l.BgImage >= 0 {
		l.BgImagePath = s.pool.Paths[l.BgImage]
	}
	return l
}

// Renderer renders images of one Scene with its own buffers (not safe for concurrent use).
type Renderer struct {
	s     *Scene
	n     int       // samples per side: Size x Supersample.
	col   []uint8   // n x n x 3 samples.
	depth []float64 // n x n inverse depths (0: background).
	vw    []Vec3    // vertices in camera space.
	px    []float64 // projected x, y, 1/z per vertex.
}

// NewRenderer returns a renderer of s.
func (s *Scene) NewRenderer() *Renderer {
	n := s.cfg.Size * s.cfg.Supersample
	return &Renderer{s: s, n: n, col: make([]uint8, n*n*3), depth: make([]float64, n*n)}
}

// Render draws the image of l into dst (Size x Size x 3 RGB, row-major, top row first). It panics
// if dst has another length or l names a category or identity outside the scene.
func (r *Renderer) Render(l *Latents, dst []uint8) {
	cfg := &r.s.cfg
	if len(dst) != cfg.Size*cfg.Size*3 {
		panic(fmt.Sprintf("scenes: Render: dst has %d bytes, want %d", len(dst), cfg.Size*cfg.Size*3))
	}
	r.background(l)
	clear(r.depth)
	r.object(l, r.s.meshes[l.Category][l.Identity])
	r.downsample(dst)
}

// Coverage renders l without background and returns the n x n mask (n = Size x Supersample) of
// the samples the object covers, for tests of the geometry.
func (r *Renderer) Coverage(l *Latents) []bool {
	clear(r.depth)
	r.object(l, r.s.meshes[l.Category][l.Identity])
	out := make([]bool, len(r.depth))
	for i, d := range r.depth {
		out[i] = d > 0
	}
	return out
}

// focal is the focal length in samples: n/2 / tan(fov/2).
func (r *Renderer) focal() float64 {
	return float64(r.n) / 2 / math.Tan(r.s.cfg.FOV*math.Pi/360)
}

// Centre returns the camera-space position of the object centre of l: its image position is
// (X, Y) in [-1, 1] at depth Distance.
func (r *Renderer) Centre(l *Latents) Vec3 {
	t := math.Tan(r.s.cfg.FOV * math.Pi / 360)
	return Vec3{l.X * l.Distance * t, l.Y * l.Distance * t, l.Distance}
}

func (r *Renderer) object(l *Latents, m *Mesh) {
	const deg = math.Pi / 180
	rot := EulerMatrix(l.RotX*deg, l.RotY*deg, l.RotZ*deg)
	c := r.Centre(l)
	f := r.focal()
	h := float64(r.n) / 2
	r.vw = r.vw[:0]
	r.px = r.px[:0]
	for _, v := range m.Verts {
		w := rot.Apply(v).scale(l.Scale).add(c)
		r.vw = append(r.vw, w)
		iz := 1 / w[2]
		r.px = append(r.px, h+f*w[0]*iz, h-f*w[1]*iz, iz)
	}
	light := LightDir(l.LightAzimuth*deg, l.LightElevation*deg)
	amb := r.s.cfg.Ambient
	for t, tri := range m.Tris {
		n := rot.Apply(m.Normal[t])
		if n.dot(r.vw[tri[0]]) >= 0 { // facing away from the camera at the origin.
			continue
		}
		k := amb + (1-amb)*max(0, n.dot(light))
		a := m.Albedo[t]
		col := [3]uint8{quant(a[0] * k), quant(a[1] * k), quant(a[2] * k)}
		r.triangle(int(tri[0]), int(tri[1]), int(tri[2]), col)
	}
}

// quant maps [0, 1] to 0..255, rounding half up.
func quant(v float64) uint8 {
	return uint8(min(max(math.Floor(v*255+0.5), 0), 255))
}

// triangle rasterises a triangle with a z-buffer: a sample (centre x+0.5, y+0.5) is inside when
// all three edge functions are >= 0; its inverse depth is interpolated linearly in screen space
// (exact for perspective projection).
func (r *Renderer) triangle(i0, i1, i2 int, col [3]uint8) {
	x0, y0, z0 := r.px[3*i0], r.px[3*i0+1], r.px[3*i0+2]
	x1, y1, z1 := r.px[3*i1], r.px[3*i1+1], r.px[3*i1+2]
	x2, y2, z2 := r.px[3*i2], r.px[3*i2+1], r.px[3*i2+2]
	area := (x1-x0)*(y2-y0) - (y1-y0)*(x2-x0)
	if area == 0 {
		return
	}
	if area < 0 {
		x1, y1, z1, x2, y2, z2 = x2, y2, z2, x1, y1, z1
		area = -area
	}
	n := r.n
	xa := max(int(math.Floor(min(x0, x1, x2))), 0)
	xb := min(int(math.Ceil(max(x0, x1, x2))), n-1)
	ya := max(int(math.Floor(min(y0, y1, y2))), 0)
	yb := min(int(math.Ceil(max(y0, y1, y2))), n-1)
	if xa > xb || ya > yb {
		return
	}
	inv := 1 / area
	for y := ya; y <= yb; y++ {
		py := float64(y) + 0.5
		px := float64(xa) + 0.5
		// Edge functions at the row's first sample and their steps in x.
		w0 := (x2-x1)*(py-y1) - (y2-y1)*(px-x1)
		w1 := (x0-x2)*(py-y2) - (y0-y2)*(px-x2)
		w2 := (x1-x0)*(py-y0) - (y1-y0)*(px-x0)
		d0, d1, d2 := -(y2 - y1), -(y0 - y2), -(y1 - y0)
		row := y * n
		for x := xa; x <= xb; x++ {
			if w0 >= 0 && w1 >= 0 && w2 >= 0 {
				iz := (w0*z0 + w1*z1 + w2*z2) * inv
				if iz > r.depth[row+x] {
					r.depth[row+x] = iz
					p := 3 * (row + x)
					r.col[p], r.col[p+1], r.col[p+2] = col[0], col[1], col[2]
				}
			}
			w0 += d0
			w1 += d1
			w2 += d2
		}
	}
}

// downsample box-filters the samples into dst, rounding half up.
func (r *Renderer) downsample(dst []uint8) {
	ss := r.s.cfg.Supersample
	size := r.s.cfg.Size
	if ss == 1 {
		copy(dst, r.col)
		return
	}
	cnt := uint32(ss * ss)
	for y := range size {
		for x := range size {
			var s [3]uint32
			for dy := range ss {
				p := 3 * ((y*ss+dy)*r.n + x*ss)
				for k := 0; k < 3*ss; k += 3 {
					s[0] += uint32(r.col[p+k])
					s[1] += uint32(r.col[p+k+1])
					s[2] += uint32(r.col[p+k+2])
				}
			}
			o := 3 * (y*size + x)
			dst[o], dst[o+1], dst[o+2] = uint8((s[0]+cnt/2)/cnt), uint8((s[1]+cnt/2)/cnt), uint8((s[2]+cnt/2)/cnt)
		}
	}
}

// background fills the samples with l's background.
func (r *Renderer) background(l *Latents) {
	n := r.n
	switch l.Background {
	case BgGradient:
		s, c := math.Sincos(l.BgAngle * math.Pi / 180)
		a, b := l.BgColor, l.BgColor2
		for y := range n {
			v := 2*(float64(y)+0.5)/float64(n) - 1
			for x := range n {
				u := 2*(float64(x)+0.5)/float64(n) - 1
				t := min(max((u*c+v*s)/math.Sqrt2*0.5+0.5, 0), 1)
				p := 3 * (y*n + x)
				r.col[p] = quant(a[0] + (b[0]-a[0])*t)
				r.col[p+1] = quant(a[1] + (b[1]-a[1])*t)
				r.col[p+2] = quant(a[2] + (b[2]-a[2])*t)
			}
		}
	case BgNoise:
		const g = 5 // grid points per side.
		rng := rand.New(rand.NewPCG(l.BgSeed, 0))
		var grid [g * g][3]float64
		for i := range grid {
			grid[i] = r.s.cfg.color(rng)
		}
		for y := range n {
			fy := (float64(y) + 0.5) / float64(n) * (g - 1)
			iy := min(int(fy), g-2)
			ty := fy - float64(iy)
			for x := range n {
				fx := (float64(x) + 0.5) / float64(n) * (g - 1)
				ix := min(int(fx), g-2)
				tx := fx - float64(ix)
				p := 3 * (y*n + x)
				for k := range 3 {
					top := grid[iy*g+ix][k]*(1-tx) + grid[iy*g+ix+1][k]*tx
					bot := grid[(iy+1)*g+ix][k]*(1-tx) + grid[(iy+1)*g+ix+1][k]*tx
					r.col[p+k] = quant(top*(1-ty) + bot*ty)
				}
			}
		}
	case BgCIFAR:
		if l.BgImage >= 0 && r.s.pool != nil {
			r.s.pool.crop(l, r.col, n)
			return
		}
		fallthrough
	default: // plain
		c := [3]uint8{quant(l.BgColor[0]), quant(l.BgColor[1]), quant(l.BgColor[2])}
		for p := 0; p < n*n; p++ {
			r.col[3*p], r.col[3*p+1], r.col[3*p+2] = c[0], c[1], c[2]
		}
	}
}

// RenderBatch renders images start..start+n-1 of seed with workers goroutines (<= 0: GOMAXPROCS)
// and returns their pixels (n x Size x Size x 3) and latents. The result does not depend on
// workers.
func (s *Scene) RenderBatch(seed uint64, start, n, workers int) ([]uint8, []Latents) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sz := s.cfg.Size * s.cfg.Size * 3
	pix := make([]uint8, n*sz)
	lat := make([]Latents, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.NewRenderer()
			for {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				lat[k] = s.Sample(seed, start+k)
				r.Render(&lat[k], pix[k*sz:(k+1)*sz])
			}
		}()
	}
	wg.Wait()
	return pix, lat
}
