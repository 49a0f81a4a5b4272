package scenes

import (
	"math"
	"math/rand/v2"
)

// Latents are the generating factors of one image. Angles are in degrees.
type Latents struct {
	Index    int    // image index within its seed.
	Category int    // label: index into the config's categories.
	Name     string // category name.
	Identity int    // 0..Identities-1.
	// X, Y: image position of the object centre in [-1, 1] (right, up); Distance: depth of the
	// centre; Scale: bounding radius of the object (world units).
	X, Y, Distance, Scale float64
	RotX, RotY, RotZ      float64 // Euler angles (EulerMatrix order).
	Quat                  Quat    // the same rotation (w >= 0).
	LightAzimuth          float64
	LightElevation        float64
	Background            string     // kind (BgPlain, ...).
	BgColor, BgColor2     [3]float64 // RGB in [0, 1]: plain / gradient colours.
	BgAngle               float64    // gradient direction (degrees).
	BgSeed                uint64     // noise grid seed.
	BgImage               int        // CIFAR pool index (-1 if not a CIFAR background).
	BgImagePath           string     // its file, relative to the CIFAR folder.
	CropX, CropY, Crop    float64    // crop origin (fraction of the free margin) and side (fraction).
}

// hsv converts hue, saturation and value in [0, 1] to RGB in [0, 1].
func hsv(h, s, v float64) [3]float64 {
	h = 6 * (h - math.Floor(h))
	i := math.Floor(h)
	f := h - i
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	switch int(i) % 6 {
	case 0:
		return [3]float64{v, t, p}
	case 1:
		return [3]float64{q, v, p}
	case 2:
		return [3]float64{p, v, t}
	case 3:
		return [3]float64{p, q, v}
	case 4:
		return [3]float64{t, p, v}
	}
	return [3]float64{v, p, q}
}

// color draws a background colour from the config's level, hue and saturation ranges.
func (c *Config) color(r *rand.Rand) [3]float64 {
	l, h, s := c.BgLevel.at(r.Float64()), c.BgHue.at(r.Float64()), c.BgSaturation.at(r.Float64())
	return hsv(h, s, l)
}

// Sample draws the latents of image i of seed seed. Every latent draws its uniform variates even
// when it is fixed, so fixing one latent leaves the others' values unchanged. pool is the number
// of CIFAR images available (0 without CIFAR backgrounds).
func (c *Config) Sample(seed uint64, i int, pool int) Latents {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	cats := c.categories()
	l := Latents{Index: i, BgImage: -1}
	l.Category = min(int(r.Float64()*float64(len(cats))), len(cats)-1)
	l.Name = Categories[cats[l.Category]].Name
	l.Identity = min(int(r.Float64()*float64(c.Identities)), c.Identities-1)
	l.X = c.X.at(r.Float64())
	l.Y = c.Y.at(r.Float64())
	l.Distance = c.Distance.at(r.Float64())
	l.Scale = c.Scale.at(r.Float64())
	l.RotX = c.RotX.at(r.Float64())
	l.RotY = c.RotY.at(r.Float64())
	l.RotZ = c.RotZ.at(r.Float64())
	l.Quat = EulerQuat(l.RotX*math.Pi/180, l.RotY*math.Pi/180, l.RotZ*math.Pi/180)
	l.LightAzimuth = c.LightAzimuth.at(r.Float64())
	l.LightElevation = c.LightElevation.at(r.Float64())
	l.Background = c.Backgrounds[min(int(r.Float64()*float64(len(c.Backgrounds))), len(c.Backgrounds)-1)]
	l.BgColor = c.color(r)
	l.BgColor2 = c.color(r)
	l.BgAngle = 360 * r.Float64()
	l.BgSeed = r.Uint64()
	img := r.Float64()
	l.Crop, l.CropX, l.CropY = c.CIFAR.Crop.at(r.Float64()), r.Float64(), r.Float64()
	if l.Background == BgCIFAR && pool > 0 {
		l.BgImage = min(int(img*float64(pool)), pool-1)
	}
	switch l.Background {
	case BgPlain:
		l.BgColor2, l.BgAngle = l.BgColor, 0
	}
	return l
}

// Angle latents (degrees); regression targets read them as sin and cos.
var AngleLatents = []string{"rot_x", "rot_y", "rot_z", "light_azimuth"}

// NumericLatents are the names Value accepts, in CSV order.
var NumericLatents = []string{"category", "identity", "x", "y", "distance", "scale", "rot_x", "rot_y", "rot_z",
	"qw", "qx", "qy", "qz", "light_azimuth", "light_elevation"}

// Value returns the latent named name (NumericLatents) and whether the name is known.
func (l *Latents) Value(name string) (float64, bool) {
	switch name {
	case "category":
		return float64(l.Category), true
	case "identity":
		return float64(l.Identity), true
	case "x":
		return l.X, true
	case "y":
		return l.Y, true
	case "distance":
		return l.Distance, true
	case "scale":
		return l.Scale, true
	case "rot_x":
		return l.RotX, true
	case "rot_y":
		return l.RotY, true
	case "rot_z":
		return l.RotZ, true
	case "qw", "qx", "qy", "qz":
		return l.Quat[map[string]int{"qw": 0, "qx": 1, "qy": 2, "qz": 3}[name]], true
	case "light_azimuth":
		return l.LightAzimuth, true
	case "light_elevation":
		return l.LightElevation, true
	}
	return math.NaN(), false
}
