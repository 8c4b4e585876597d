//! Geometry of the map: GeoJSON boundaries, point-in-polygon and great-circle distances.
//!
//! Coordinates are degrees as the mini-program sends them (WGS-84 or GCJ-02); polygons are
//! treated as planar in longitude/latitude, which is accurate enough at the scale of a grid.

use serde_json::{json, Value};

/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The most positions a boundary may hold.
pub const MAX_POSITIONS: usize = 5000;

/// A GeoJSON position: `[lng, lat]`.
type Position = [f64; 2];

/// A closed ring: first position equals the last.
type Ring = Vec<Position>;

/// Why a boundary was refused; the message is fit to show to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundaryError(pub &'static str);

impl std::fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A rectangle in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundingBox {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lng: f64,
    /// Eastern edge.
    pub max_lng: f64,
}

/// A validated GeoJSON Polygon or MultiPolygon.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    /// Polygons, each an outer ring followed by its holes.
    polygons: Vec<Vec<Ring>>,
    /// True when it came as a MultiPolygon.
    multi: bool,
}

impl Boundary {
    /// Validates a GeoJSON geometry object: Polygon or MultiPolygon, closed rings of at least
    /// four positions, `[lng, lat]` in range, at most `MAX_POSITIONS` positions in all.
    pub fn from_geojson(value: &Value) -> Result<Self, BoundaryError> {
        const NOT_GEOMETRY: BoundaryError =
            BoundaryError("边界须为 GeoJSON Polygon 或 MultiPolygon 对象");
        let object = value.as_object().ok_or(NOT_GEOMETRY)?;
        let coordinates = object.get("coordinates").ok_or(NOT_GEOMETRY)?;
        let mut budget = MAX_POSITIONS;
        match object.get("type").and_then(Value::as_str) {
            Some("Polygon") => Ok(Boundary {
                polygons: vec![parse_polygon(coordinates, &mut budget)?],
                multi: false,
            }),
            Some("MultiPolygon") => {
                let items = non_empty_array(coordinates)?;
                let polygons = items
                    .iter()
                    .map(|p| parse_polygon(p, &mut budget))
                    .collect::<Result<_, _>>()?;
                Ok(Boundary {
                    polygons,
                    multi: true,
                })
            }
            _ => Err(NOT_GEOMETRY),
        }
    }

    /// Parses and validates stored GeoJSON text.
    pub fn parse(text: &str) -> Result<Self, BoundaryError> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| BoundaryError("边界不是有效的 JSON"))?;
        Self::from_geojson(&value)
    }

    /// The normalized GeoJSON object: only `type` and 2-D `coordinates`.
    pub fn to_geojson(&self) -> Value {
        let polygon = |rings: &Vec<Ring>| -> Value {
            rings
                .iter()
                .map(|ring| ring.iter().map(|p| json!([p[0], p[1]])).collect::<Value>())
                .collect()
        };
        if self.multi {
            json!({
                "type": "MultiPolygon",
                "coordinates": self.polygons.iter().map(polygon).collect::<Value>(),
            })
        } else {
            json!({ "type": "Polygon", "coordinates": polygon(&self.polygons[0]) })
        }
    }

    /// The normalized GeoJSON text, as stored.
    pub fn to_text(&self) -> String {
        self.to_geojson().to_string()
    }

    /// The rectangle holding every outer ring.
    pub fn bounding_box(&self) -> BoundingBox {
        let mut b = BoundingBox {
            min_lat: f64::INFINITY,
            max_lat: f64::NEG_INFINITY,
            min_lng: f64::INFINITY,
            max_lng: f64::NEG_INFINITY,
        };
        for [lng, lat] in self.polygons.iter().flat_map(|p| p[0].iter()) {
            b.min_lat = b.min_lat.min(*lat);
            b.max_lat = b.max_lat.max(*lat);
            b.min_lng = b.min_lng.min(*lng);
            b.max_lng = b.max_lng.max(*lng);
        }
        b
    }

    /// True when the point lies inside an outer ring and outside that polygon's holes.
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        self.polygons.iter().any(|rings| {
            ring_contains(&rings[0], lng, lat)
                && !rings[1..].iter().any(|hole| ring_contains(hole, lng, lat))
        })
    }
}

fn non_empty_array(value: &Value) -> Result<&Vec<Value>, BoundaryError> {
    match value.as_array() {
        Some(items) if !items.is_empty() => Ok(items),
        _ => Err(BoundaryError("边界坐标须为非空数组")),
    }
}

fn parse_polygon(value: &Value, budget: &mut usize) -> Result<Vec<Ring>, BoundaryError> {
    non_empty_array(value)?
        .iter()
        .map(|ring| parse_ring(ring, budget))
        .collect()
}

fn parse_ring(value: &Value, budget: &mut usize) -> Result<Ring, BoundaryError> {
    let items = non_empty_array(value)?;
    if items.len() > *budget {
        return Err(BoundaryError("边界坐标点过多（最多 5000 个）"));
    }
    *budget -= items.len();
    if items.len() < 4 {
        return Err(BoundaryError("多边形的每个环至少需要 4 个坐标点"));
    }
    let ring = items
        .iter()
        .map(parse_position)
        .collect::<Result<Ring, _>>()?;
    if ring.first() != ring.last() {
        return Err(BoundaryError("多边形的环须闭合（首尾坐标相同）"));
    }
    if twice_area(&ring) == 0.0 {
        return Err(BoundaryError("多边形的环面积不能为零"));
    }
    Ok(ring)
}

fn parse_position(value: &Value) -> Result<Position, BoundaryError> {
    const BAD: BoundaryError =
        BoundaryError("坐标须为 [经度, 纬度]，经度在 -180 到 180 之间，纬度在 -90 到 90 之间");
    let items = value
        .as_array()
        .filter(|a| (2..=3).contains(&a.len()))
        .ok_or(BAD)?;
    let lng = items[0].as_f64().ok_or(BAD)?;
    let lat = items[1].as_f64().ok_or(BAD)?;
    if items.get(2).is_some_and(|alt| !alt.is_number()) {
        return Err(BAD);
    }
    if !valid_lat(lat) || !valid_lng(lng) {
        return Err(BAD);
    }
    Ok([lng, lat])
}

/// Twice the signed planar area of a closed ring (shoelace).
fn twice_area(ring: &[Position]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// Even-odd ray casting towards +lng; the ring is closed, so consecutive pairs are its edges.
fn ring_contains(ring: &[Position], lng: f64, lat: f64) -> bool {
    let mut inside = false;
    for edge in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (edge[0], edge[1]);
        if (y1 > lat) != (y2 > lat) && lng < (x2 - x1) * (lat - y1) / (y2 - y1) + x1 {
            inside = !inside;
        }
    }
    inside
}

/// True for a finite latitude within [-90, 90].
pub fn valid_lat(lat: f64) -> bool {
    (-90.0..=90.0).contains(&lat)
}

/// True for a finite longitude within [-180, 180].
pub fn valid_lng(lng: f64) -> bool {
    (-180.0..=180.0).contains(&lng)
}

/// Great-circle distance in metres (haversine).
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
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
pub fn search_box(lat: f64, lng: f64, radius_m: f64) -> SearchBox {
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
    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
        json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    }

    fn polygon_with_hole() -> Boundary {
        Boundary::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [square(111.0, 40.0, 111.1, 40.1), square(111.04, 40.04, 111.06, 40.06)],
        }))
        .unwrap()
    }

    #[test]
    fn a_point_inside_a_polygon_is_contained() {
        assert!(polygon_with_hole().contains(40.02, 111.02));
    }

    #[test]
    fn a_point_outside_a_polygon_is_not_contained() {
        let b = polygon_with_hole();
        assert!(!b.contains(40.2, 111.05));
        assert!(!b.contains(40.05, 110.99));
    }

    #[test]
    fn a_point_in_a_hole_is_not_contained() {
        assert!(!polygon_with_hole().contains(40.05, 111.05));
    }

    #[test]
    fn a_concave_polygon_excludes_its_notch() {
        // A "U": the notch between the arms is outside.
        let ring = json!([
            [0.0, 0.0],
            [3.0, 0.0],
            [3.0, 3.0],
            [2.0, 3.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 3.0],
            [0.0, 3.0],
            [0.0, 0.0]
        ]);
        let b =
            Boundary::from_geojson(&json!({ "type": "Polygon", "coordinates": [ring] })).unwrap();
        assert!(b.contains(2.0, 0.5));
        assert!(b.contains(2.0, 2.5));
        assert!(!b.contains(2.0, 1.5));
    }

    #[test]
    fn a_multipolygon_contains_points_of_each_part() {
        let b = Boundary::from_geojson(&json!({
            "type": "MultiPolygon",
            "coordinates": [[square(0.0, 0.0, 1.0, 1.0)], [square(5.0, 5.0, 6.0, 6.0), square(5.4, 5.4, 5.6, 5.6)]],
        }))
        .unwrap();
        assert!(b.contains(0.5, 0.5));
        assert!(b.contains(5.2, 5.2));
        assert!(!b.contains(5.5, 5.5));
        assert!(!b.contains(3.0, 3.0));
    }

    #[test]
    fn the_bounding_box_spans_the_outer_rings() {
        let b = Boundary::from_geojson(&json!({
            "type": "MultiPolygon",
            "coordinates": [[square(0.0, 0.0, 1.0, 1.0)], [square(5.0, -2.0, 6.0, 6.0)]],
        }))
        .unwrap();
        assert_eq!(
            b.bounding_box(),
            BoundingBox {
                min_lat: -2.0,
                max_lat: 6.0,
                min_lng: 0.0,
                max_lng: 6.0
            }
        );
    }

    #[test]
    fn the_stored_text_round_trips_without_foreign_members() {
        let b = Boundary::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [[[0, 0, 12.5], [1, 0], [1, 1], [0, 0]]],
            "properties": { "x": 1 },
        }))
        .unwrap();
        let text = b.to_text();
        assert!(!text.contains("properties"));
        assert_eq!(Boundary::parse(&text).unwrap(), b);
    }

    #[test]
    fn invalid_boundaries_are_refused() {
        let cases = [
            json!("Polygon"),
            json!({ "type": "Point", "coordinates": [0, 0] }),
            json!({ "type": "Polygon" }),
            json!({ "type": "Polygon", "coordinates": [] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 91], [1, 1], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]] }),
            json!({ "type": "Polygon", "coordinates": [[[0], [1, 0], [1, 1], [0]]] }),
            json!({ "type": "MultiPolygon", "coordinates": [] }),
            json!({ "type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1]]]] }),
        ];
        for case in cases {
            assert!(Boundary::from_geojson(&case).is_err(), "accepted {case}");
        }
    }

    #[test]
    fn a_boundary_with_too_many_positions_is_refused() {
        let n = MAX_POSITIONS;
        let mut ring: Vec<Value> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                json!([t.cos(), t.sin()])
            })
            .collect();
        ring.push(ring[0].clone());
        let err = Boundary::from_geojson(&json!({ "type": "Polygon", "coordinates": [ring] }));
        assert_eq!(err, Err(BoundaryError("边界坐标点过多（最多 5000 个）")));
        ring.truncate(n - 2);
        ring.push(ring[0].clone());
        assert!(
            Boundary::from_geojson(&json!({ "type": "Polygon", "coordinates": [ring] })).is_ok()
        );
    }

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
            let b = search_box(lat, lng, radius);
            for step in 0..360 {
                let bearing = (step as f64).to_radians();
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
        assert_eq!(search_box(89.9, 10.0, 50_000.0).lng, LngSpan::All);
    }

    #[test]
    fn a_search_box_across_the_antimeridian_wraps() {
        let b = search_box(0.0, 179.9, 50_000.0);
        assert!(matches!(b.lng, LngSpan::Wrapped { .. }));
        assert!(b.holds(0.0, -179.9));
        assert!(!b.holds(0.0, 0.0));
    }

    /// The point at a distance and bearing from a start (spherical).
    fn destination(lat: f64, lng: f64, bearing: f64, distance: f64) -> (f64, f64) {
        let (p1, l1, d) = (
            lat.to_radians(),
            lng.to_radians(),
            distance / EARTH_RADIUS_M,
        );
        let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * bearing.cos()).asin();
        let l2 = l1 + (bearing.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
        let lng2 = (l2.to_degrees() + 540.0) % 360.0 - 180.0;
        (p2.to_degrees(), lng2)
    }
}
