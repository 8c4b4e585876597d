//! Great-circle distances (georust's haversine) and the search box that narrows "things near
//! a point" in SQL (communities today, stations later) before the exact distances: `bbox`
//! gives the box, `SearchBox::condition` the filter on any table's indexed `lat`/`lng`.

use geo::{Distance, Haversine, Point};
use sea_orm::{ColumnTrait, Condition};

/// Mean Earth radius in metres (IUGG), the one `geo`'s haversine uses.
pub const EARTH_RADIUS_M: f64 = Haversine.radius();

/// Great-circle distance in metres (haversine).
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    Haversine.distance(Point::new(lng1, lat1), Point::new(lng2, lat2))
}

/// The longitudes a search box covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LngSpan {
    /// Every longitude (the circle reaches a pole).
    All,
    /// `min <= lng <= max`.
    Between(f64, f64),
    /// Across the antimeridian: `lng >= east_of || lng <= west_of`.
    Wrapped {
        /// Lower bound of the eastern part.
        east_of: f64,
        /// Upper bound of the western part.
        west_of: f64,
    },
}

/// A rectangle holding every point within a radius of a centre, for a first SQL filter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchBox {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Longitudes covered.
    pub lng: LngSpan,
}

/// The search box around a centre; slightly larger than the circle so no edge point is lost.
pub fn bbox(lat: f64, lng: f64, radius_m: f64) -> SearchBox {
    const PAD: f64 = 1e-6;
    let angle = radius_m / EARTH_RADIUS_M;
    let dlat = angle.to_degrees() + PAD;
    let (min_lat, max_lat) = (lat - dlat, lat + dlat);
    if min_lat <= -90.0 || max_lat >= 90.0 || angle >= std::f64::consts::FRAC_PI_2 {
        return SearchBox {
            min_lat: min_lat.max(-90.0),
            max_lat: max_lat.min(90.0),
            lng: LngSpan::All,
        };
    }
    let ratio = angle.sin() / lat.to_radians().cos();
    if ratio >= 1.0 {
        return SearchBox {
            min_lat,
            max_lat,
            lng: LngSpan::All,
        };
    }
    let dlng = ratio.asin().to_degrees() + PAD;
    let (west, east) = (lng - dlng, lng + dlng);
    let span = if west < -180.0 {
        LngSpan::Wrapped {
            east_of: west + 360.0,
            west_of: east,
        }
    } else if east > 180.0 {
        LngSpan::Wrapped {
            east_of: west,
            west_of: east - 360.0,
        }
    } else {
        LngSpan::Between(west, east)
    };
    SearchBox {
        min_lat,
        max_lat,
        lng: span,
    }
}

impl SearchBox {
    /// The SQL filter "in the box" on a table's latitude and longitude columns: ranges an
    /// index on `(lat, lng)` serves; across the antimeridian, two longitude ranges.
    pub fn condition(&self, lat: impl ColumnTrait, lng: impl ColumnTrait) -> Condition {
        let band = Condition::all().add(lat.between(self.min_lat, self.max_lat));
        match self.lng {
            LngSpan::All => band,
            LngSpan::Between(west, east) => band.add(lng.between(west, east)),
            LngSpan::Wrapped { east_of, west_of } => {
                band.add(Condition::any().add(lng.gte(east_of)).add(lng.lte(west_of)))
            }
        }
    }

    /// True when the box holds the point.
    pub fn holds(&self, lat: f64, lng: f64) -> bool {
        let lng_ok = match self.lng {
            LngSpan::All => true,
            LngSpan::Between(min, max) => (min..=max).contains(&lng),
            LngSpan::Wrapped { east_of, west_of } => lng >= east_of || lng <= west_of,
        };
        (self.min_lat..=self.max_lat).contains(&lat) && lng_ok
    }
}

#[cfg(test)]
mod tests {
    use geo::Destination;

    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_m(40.0, 111.0, 41.0, 111.0);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(haversine_m(40.8, 111.7, 40.8, 111.7), 0.0);
    }

    #[test]
    fn the_distance_from_hohhot_to_beijing_is_about_400_km() {
        let d = haversine_m(40.8424, 111.7490, 39.9042, 116.4074);
        assert!((d - 405_000.0).abs() < 5_000.0, "{d}");
    }

    #[test]
    fn the_search_box_holds_every_point_on_the_circle() {
        for (lat, lng) in [
            (40.8, 111.7),
            (-33.9, 151.2),
            (0.0, 0.0),
            (70.0, 179.9),
            (60.0, -179.95),
        ] {
            let radius = 50_000.0;
            let b = bbox(lat, lng, radius);
            for step in 0..360 {
                let bearing = step as f64;
                let (plat, plng) = destination(lat, lng, bearing, radius * 0.999_999);
                assert!(
                    b.holds(plat, plng),
                    "{lat},{lng} bearing {step}: {plat},{plng} outside {b:?}"
                );
            }
            assert!(!b.holds(lat + 1.0, lng));
        }
    }

    #[test]
    fn a_search_box_near_a_pole_spans_every_longitude() {
        assert_eq!(bbox(89.9, 10.0, 50_000.0).lng, LngSpan::All);
    }

    #[test]
    fn a_search_box_across_the_antimeridian_wraps() {
        let b = bbox(0.0, 179.9, 50_000.0);
        assert!(matches!(b.lng, LngSpan::Wrapped { .. }));
        assert!(b.holds(0.0, -179.9));
        assert!(!b.holds(0.0, 0.0));
    }

    /// The point at a distance and bearing (degrees) from a start, on georust's sphere.
    fn destination(lat: f64, lng: f64, bearing: f64, distance: f64) -> (f64, f64) {
        let p = Haversine.destination(Point::new(lng, lat), bearing, distance);
        (p.y(), p.x())
    }
}
