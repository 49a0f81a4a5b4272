package scenes

import (
	"fmt"
	"math"
)

// Mesh is a closed triangle mesh in object space, scaled so that its farthest vertex is at
// distance 1 from the origin, with outward face normals and one albedo (RGB in [0, 1]) per
// triangle.
type Mesh struct {
	Verts  []Vec3
	Tris   [][3]int32
	Normal []Vec3       // per triangle, unit, outward.
	Albedo [][3]float64 // per triangle.
}

// Pattern is a surface pattern of an identity.
type Pattern int

// The surface patterns: one colour, bands along the profile (horizontal stripes), bands around
// the axis (vertical stripes), a checkerboard of both.
const (
	Plain Pattern = iota
	HStripes
	VStripes
	Checker
)

// Identity is one object of a category: proportions (per-axis scale before normalisation), the
// shape parameter of its category (e.g. the torus's tube radius), colours and pattern.
type Identity struct {
	Scale   Vec3
	Shape   float64
	Color   [3]float64
	Color2  [3]float64
	Pattern Pattern
}

// profilePoint is a point of a lathe profile in the (r, y) half-plane; the profile is traced with
// the solid on its left, so the outward normal of a step (dr, dy) is (dy, -dr).
type profilePoint struct{ r, y float64 }

// Category is a shape family: a lathe profile (a function of the identity's shape parameter)
// revolved around Y in Segments steps starting at angle Phase.
type Category struct {
	Name     string
	Segments int
	Phase    float64
	Profile  func(shape float64) []profilePoint
}

func arc(cx, cy, rad, a0, a1 float64, n int) []profilePoint {
	p := make([]profilePoint, 0, n+1)
	for i := 0; i <= n; i++ {
		a := a0 + (a1-a0)*float64(i)/float64(n)
		s, c := math.Sincos(a)
		p = append(p, profilePoint{max(cx+rad*c, 0), cy + rad*s})
	}
	return p
}

// line returns n+1 points from a to b.
func line(a, b profilePoint, n int) []profilePoint {
	p := make([]profilePoint, 0, n+1)
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		p = append(p, profilePoint{a.r + (b.r-a.r)*t, a.y + (b.y-a.y)*t})
	}
	return p
}

// join concatenates profile pieces, dropping each piece's first point (equal to the previous last).
func join(pieces ...[]profilePoint) []profilePoint {
	out := append([]profilePoint(nil), pieces[0]...)
	for _, p := range pieces[1:] {
		out = append(out, p[1:]...)
	}
	return out
}

// boxProfile is a closed cylinder of radius r and half-height h, with the side in n pieces.
func boxProfile(r, h float64, n int) []profilePoint {
	return join(line(profilePoint{0, -h}, profilePoint{r, -h}, 2), line(profilePoint{r, -h}, profilePoint{r, h}, n), line(profilePoint{r, h}, profilePoint{0, h}, 2))
}

// Categories are the built-in shape families, in label order.
var Categories = []Category{
	{Name: "cube", Segments: 4, Phase: math.Pi / 4, Profile: func(float64) []profilePoint { return boxProfile(math.Sqrt2, 1, 4) }},
	{Name: "sphere", Segments: 16, Profile: func(float64) []profilePoint { return arc(0, 0, 1, -math.Pi/2, math.Pi/2, 8) }},
	{Name: "cylinder", Segments: 16, Profile: func(s float64) []profilePoint { return boxProfile(s, 1, 4) }},
	{Name: "cone", Segments: 16, Profile: func(s float64) []profilePoint {
		return join(line(profilePoint{0, -1}, profilePoint{s, -1}, 2), line(profilePoint{s, -1}, profilePoint{0, 1}, 6))
	}},
	{Name: "torus", Segments: 16, Profile: func(s float64) []profilePoint { return arc(1, 0, s, -math.Pi, math.Pi, 10) }},
	{Name: "pyramid", Segments: 4, Profile: func(float64) []profilePoint {
		return join(line(profilePoint{0, -1}, profilePoint{math.Sqrt2, -1}, 2), line(profilePoint{math.Sqrt2, -1}, profilePoint{0, 1}, 6))
	}},
	{Name: "capsule", Segments: 16, Profile: func(s float64) []profilePoint {
		return join(arc(0, -1+s, s, -math.Pi/2, 0, 4), line(profilePoint{s, -1 + s}, profilePoint{s, 1 - s}, 3), arc(0, 1-s, s, 0, math.Pi/2, 4))
	}},
	{Name: "prism", Segments: 3, Phase: math.Pi / 2, Profile: func(float64) []profilePoint { return boxProfile(1, 1, 4) }},
	{Name: "hexprism", Segments: 6, Profile: func(float64) []profilePoint { return boxProfile(1, 0.5, 3) }},
	{Name: "bicone", Segments: 12, Profile: func(s float64) []profilePoint {
		return join(line(profilePoint{0, -1}, profilePoint{s, 0}, 4), line(profilePoint{s, 0}, profilePoint{0, 1}, 4))
	}},
}

// CategoryNames returns the names of Categories in label order.
func CategoryNames() []string {
	out := make([]string, len(Categories))
	for i, c := range Categories {
		out[i] = c.Name
	}
	return out
}

// categoryIndex returns the index of the category named name, or -1.
func categoryIndex(name string) int {
	for i, c := range Categories {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// palette is the identities' colours (RGB in [0, 1]).
var palette = [][3]float64{
	{0.85, 0.25, 0.2}, {0.2, 0.55, 0.85}, {0.25, 0.75, 0.3}, {0.9, 0.75, 0.2},
	{0.65, 0.35, 0.8}, {0.95, 0.55, 0.15}, {0.3, 0.8, 0.8}, {0.85, 0.85, 0.85},
}

// shapeParams is the range of the shape parameter per category (lo, hi); identities spread over it.
var shapeParams = map[string][2]float64{
	"cylinder": {0.5, 1}, "cone": {0.6, 1.1}, "torus": {0.25, 0.45}, "capsule": {0.35, 0.6}, "bicone": {0.5, 1},
}

// Identities returns n identities of category c, fixed (no randomness): identity j gets
// proportions, shape parameter, colour and pattern that step through fixed lists, so identities of
// one category differ in more than one property.
func Identities(c, n int) []Identity {
	props := []Vec3{{1, 1, 1}, {1, 1.4, 1}, {1.3, 0.8, 1}, {0.8, 1, 1.3}, {1.2, 1.2, 0.7}, {0.7, 1.5, 0.7}}
	out := make([]Identity, n)
	for j := range out {
		lohi, ok := shapeParams[Categories[c].Name]
		shape := 1.0
		if ok {
			shape = lohi[0]
			if n > 1 {
				shape = lohi[0] + (lohi[1]-lohi[0])*float64(j)/float64(n-1)
			}
		}
		col := palette[(c+3*j)%len(palette)]
		out[j] = Identity{
			Scale:   props[(j+c)%len(props)],
			Shape:   shape,
			Color:   col,
			Color2:  [3]float64{col[0] * 0.45, col[1] * 0.45, col[2] * 0.45},
			Pattern: Pattern(j % 4),
		}
	}
	return out
}

// BuildMesh builds the mesh of category c with identity id.
func BuildMesh(c int, id Identity) (*Mesh, error) {
	if c < 0 || c >= len(Categories) {
		return nil, fmt.Errorf("scenes: category %d out of range [0, %d)", c, len(Categories))
	}
	cat := Categories[c]
	prof := cat.Profile(id.Shape)
	seg := cat.Segments
	m := &Mesh{}
	// Vertices: a ring of seg vertices per profile point (one vertex on the axis when r == 0).
	ring := make([][]int32, len(prof))
	for i, p := range prof {
		if p.r == 0 {
			ring[i] = []int32{int32(len(m.Verts))}
			m.Verts = append(m.Verts, Vec3{0, p.y, 0})
			continue
		}
		for j := range seg {
			s, co := math.Sincos(cat.Phase + 2*math.Pi*float64(j)/float64(seg))
			ring[i] = append(ring[i], int32(len(m.Verts)))
			m.Verts = append(m.Verts, Vec3{p.r * co, p.y, p.r * s})
		}
	}
	// Proportions, then normalise to a bounding radius of 1.
	rmax := 0.0
	for k, v := range m.Verts {
		v = Vec3{v[0] * id.Scale[0], v[1] * id.Scale[1], v[2] * id.Scale[2]}
		m.Verts[k] = v
		rmax = max(rmax, v.norm())
	}
	for k := range m.Verts {
		m.Verts[k] = m.Verts[k].scale(1 / rmax)
	}
	at := func(i, j int) int32 {
		r := ring[i]
		return r[j%len(r)]
	}
	for i := 0; i+1 < len(prof); i++ {
		dr, dy := prof[i+1].r-prof[i].r, prof[i+1].y-prof[i].y
		for j := range seg {
			phi := cat.Phase + 2*math.Pi*(float64(j)+0.5)/float64(seg)
			s, co := math.Sincos(phi)
			// Outward direction of the profile step at this angle, in scaled space (normals transform
			// by the inverse scale).
			out := Vec3{dy * co / id.Scale[0], -dr / id.Scale[1], dy * s / id.Scale[2]}
			band := i
			col := id.Color
			switch id.Pattern {
			case HStripes:
				if (band/2)%2 == 1 {
					col = id.Color2
				}
			case VStripes:
				if j%2 == 1 {
					col = id.Color2
				}
			case Checker:
				if (band/2+j)%2 == 1 {
					col = id.Color2
				}
			}
			m.addTri(at(i, j), at(i, j+1), at(i+1, j+1), out, col)
			m.addTri(at(i, j), at(i+1, j+1), at(i+1, j), out, col)
		}
	}
	if len(m.Tris) == 0 {
		return nil, fmt.Errorf("scenes: category %s has an empty mesh", cat.Name)
	}
	return m, nil
}

// addTri adds triangle (a, b, c) wound so that its normal points along out; degenerate triangles
// (two equal vertices, e.g. at the axis) are dropped.
func (m *Mesh) addTri(a, b, c int32, out Vec3, col [3]float64) {
	if a == b || b == c || a == c {
		return
	}
	n := m.Verts[b].sub(m.Verts[a]).cross(m.Verts[c].sub(m.Verts[a]))
	if n.norm() < 1e-12 {
		return
	}
	if n.dot(out) < 0 {
		b, c = c, b
		n = n.scale(-1)
	}
	m.Tris = append(m.Tris, [3]int32{a, b, c})
	m.Normal = append(m.Normal, n.unit())
	m.Albedo = append(m.Albedo, col)
}
