// Package scenes is a small deterministic software renderer of one 3D object per image over a
// background, with every latent (category, identity, image position, distance, scale, 3D rotation,
// light direction, background) sampled from a seed (Xie et al. 2024's spatial-latent data sets,
// docs/methods.md section 5; ThreeDWorld is out of reach, so this is the substitute).
//
// The camera is a pinhole at the origin looking along +Z (X right, Y up) with a vertical and
// horizontal field of view Config.FOV; objects are triangle meshes (surfaces of revolution with
// per-axis proportions) shaded flat with Lambertian plus ambient light, rasterised with a z-buffer
// at Supersample x Supersample samples per pixel and box-filtered. Images are H x W x 3 uint8 RGB.
// The same Config and seed give the same bytes: all arithmetic is float64 in a fixed order (on
// GOARCH amd64; arm64, ppc64 and s390x may fuse multiply-adds and differ in rare edge pixels).
package scenes

import "math"

// Vec3 is a 3D vector.
type Vec3 [3]float64

func (a Vec3) add(b Vec3) Vec3      { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a Vec3) sub(b Vec3) Vec3      { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a Vec3) scale(s float64) Vec3 { return Vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a Vec3) dot(b Vec3) float64   { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a Vec3) cross(b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a Vec3) norm() float64 { return math.Sqrt(a.dot(a)) }
func (a Vec3) unit() Vec3 {
	n := a.norm()
	if n == 0 {
		return a
	}
	return a.scale(1 / n)
}

// Mat3 is a 3x3 matrix, row-major.
type Mat3 [9]float64

// Apply returns m v.
func (m Mat3) Apply(v Vec3) Vec3 {
	return Vec3{m[0]*v[0] + m[1]*v[1] + m[2]*v[2], m[3]*v[0] + m[4]*v[1] + m[5]*v[2], m[6]*v[0] + m[7]*v[1] + m[8]*v[2]}
}

// Mul returns m n.
func (m Mat3) Mul(n Mat3) Mat3 {
	var o Mat3
	for i := range 3 {
		for j := range 3 {
			o[3*i+j] = m[3*i]*n[j] + m[3*i+1]*n[3+j] + m[3*i+2]*n[6+j]
		}
	}
	return o
}

// EulerMatrix is the rotation Rz(rz) Ry(ry) Rx(rx) (angles in radians; x applied first).
func EulerMatrix(rx, ry, rz float64) Mat3 {
	sx, cx := math.Sincos(rx)
	sy, cy := math.Sincos(ry)
	sz, cz := math.Sincos(rz)
	x := Mat3{1, 0, 0, 0, cx, -sx, 0, sx, cx}
	y := Mat3{cy, 0, sy, 0, 1, 0, -sy, 0, cy}
	z := Mat3{cz, -sz, 0, sz, cz, 0, 0, 0, 1}
	return z.Mul(y.Mul(x))
}

// Quat is a unit quaternion (w, x, y, z).
type Quat [4]float64

// EulerQuat is the quaternion of EulerMatrix(rx, ry, rz): qz qy qx, with w >= 0 (q and -q are the
// same rotation; the sign is fixed so that the stored latent is unique).
func EulerQuat(rx, ry, rz float64) Quat {
	sx, cx := math.Sincos(rx / 2)
	sy, cy := math.Sincos(ry / 2)
	sz, cz := math.Sincos(rz / 2)
	q := Quat{
		cz*cy*cx + sz*sy*sx,
		cz*cy*sx - sz*sy*cx,
		cz*sy*cx + sz*cy*sx,
		sz*cy*cx - cz*sy*sx,
	}
	if q[0] < 0 {
		q = Quat{-q[0], -q[1], -q[2], -q[3]}
	}
	return q
}

// Matrix returns the rotation matrix of the unit quaternion q.
func (q Quat) Matrix() Mat3 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	return Mat3{
		1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y),
		2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x),
		2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y),
	}
}

// LightDir is the unit vector from a surface towards the light for an azimuth and elevation in
// radians: (0, 0) is a light at the camera (-Z), positive azimuth moves it right (+X), positive
// elevation up (+Y).
func LightDir(azimuth, elevation float64) Vec3 {
	sa, ca := math.Sincos(azimuth)
	se, ce := math.Sincos(elevation)
	return Vec3{ce * sa, se, -ce * ca}
}

// sincosDeg returns the sine and cosine of an angle in degrees.
func sincosDeg(deg float64) (float64, float64) { return math.Sincos(deg * math.Pi / 180) }
