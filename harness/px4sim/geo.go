package px4sim

import "math"

// earthRadius is the mean Earth radius PX4's map projection uses (m).
const earthRadius = 6371000.0

// geoOrigin converts between the local NED frame (metres from the origin,
// as LOCAL_POSITION_NED reports it) and latitude/longitude with an
// equirectangular projection, accurate to centimetres over the few
// kilometres a scenario covers.
type geoOrigin struct {
	lat, lon float64 // degrees
	alt      float64 // AMSL, metres: the ground level
	cosLat   float64
}

func newGeoOrigin(p Position) geoOrigin {
	return geoOrigin{lat: p.Lat, lon: p.Lon, alt: p.Alt, cosLat: math.Cos(p.Lat * math.Pi / 180)}
}

// toGlobal converts local north/east (m) to degrees.
func (g geoOrigin) toGlobal(n, e float64) (lat, lon float64) {
	lat = g.lat + n/earthRadius*180/math.Pi
	lon = g.lon + e/(earthRadius*g.cosLat)*180/math.Pi
	return lat, lon
}

// toLocal converts degrees to local north/east (m).
func (g geoOrigin) toLocal(lat, lon float64) (n, e float64) {
	n = (lat - g.lat) * math.Pi / 180 * earthRadius
	e = (lon - g.lon) * math.Pi / 180 * earthRadius * g.cosLat
	return n, e
}

// vec3 is a NED vector.
type vec3 struct{ n, e, d float64 }

func (a vec3) add(b vec3) vec3         { return vec3{a.n + b.n, a.e + b.e, a.d + b.d} }
func (a vec3) sub(b vec3) vec3         { return vec3{a.n - b.n, a.e - b.e, a.d - b.d} }
func (a vec3) scale(k float64) vec3    { return vec3{a.n * k, a.e * k, a.d * k} }
func (a vec3) horizontalNorm() float64 { return math.Hypot(a.n, a.e) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// wrapPi wraps an angle to (-pi, pi].
func wrapPi(a float64) float64 {
	for a > math.Pi {
		a -= 2 * math.Pi
	}
	for a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}
