//! Geometry of the map on georust: boundaries are GeoJSON read with `geojson`, checked for
//! validity (OGC simple features) and asked for containment with `geo`.
//!
//! Coordinates are degrees as the mini-program sends them (WGS-84 or GCJ-02); polygons are
//! treated as planar in longitude/latitude, which is accurate enough at the scale of a grid.

mod search;

pub use search::{bbox, haversine_m, LngSpan, SearchBox, EARTH_RADIUS_M};

use geo::{
    validation::{InvalidMultiPolygon, InvalidPolygon},
    Area, BoundingRect, Intersects, LineString, MultiPolygon, Point, Polygon, Validation,
};
use geojson::{Geometry, GeometryValue, Position};
use serde::Deserialize;
use serde_json::Value;
use std::iter::once;

/// The most positions a boundary may hold.
pub const MAX_POSITIONS: usize = 5000;

/// Why a boundary was refused; the message is fit to show to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundaryError(pub &'static str);

impl std::fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

const NOT_GEOMETRY: BoundaryError = BoundaryError("边界须为 GeoJSON Polygon 或 MultiPolygon 对象");
const BAD_POSITION: BoundaryError =
    BoundaryError("坐标须为 [经度, 纬度]，经度在 -180 到 180 之间，纬度在 -90 到 90 之间");

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

/// A GeoJSON Polygon or MultiPolygon that passed the checks, as `geo` geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    /// The polygons (one for a Polygon), each an exterior ring and its holes.
    shape: MultiPolygon<f64>,
    /// True when it came as a MultiPolygon.
    multi: bool,
}

impl Boundary {
    /// Reads a GeoJSON geometry object whose shape is right (see `read`) and that is valid
    /// (see `check`).
    pub fn from_geojson(value: &Value) -> Result<Self, BoundaryError> {
        let boundary = Self::read(value)?;
        boundary.check()?;
        Ok(boundary)
    }

    /// Reads stored GeoJSON text. It was checked when written, so only its shape is checked
    /// again (locating must not pay for the validity check on every read).
    pub fn parse(text: &str) -> Result<Self, BoundaryError> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| BoundaryError("边界不是有效的 JSON"))?;
        Self::read(&value)
    }

    /// Reads a GeoJSON Polygon or MultiPolygon whose shape is right: closed rings of at least
    /// four `[lng, lat]` positions in range, at most `MAX_POSITIONS` in all. Cheap; checked
    /// before the conversion to `geo`, which closes rings itself and indexes positions blindly.
    pub fn read(value: &Value) -> Result<Self, BoundaryError> {
        if !value.is_object() {
            return Err(NOT_GEOMETRY);
        }
        let kind = value.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("Polygon" | "MultiPolygon")) {
            return Err(NOT_GEOMETRY);
        }
        let geometry = Geometry::deserialize(value)
            .map_err(|_| BoundaryError("边界坐标须为由 [经度, 纬度] 组成的闭合环"))?;
        let (polygons, multi) = match &geometry.value {
            GeometryValue::Polygon { coordinates } => (std::slice::from_ref(coordinates), false),
            GeometryValue::MultiPolygon { coordinates } => (coordinates.as_slice(), true),
            _ => return Err(NOT_GEOMETRY),
        };
        check_positions(polygons)?;
        let shape = match geo::Geometry::<f64>::try_from(&geometry.value) {
            Ok(geo::Geometry::Polygon(polygon)) => MultiPolygon::new(vec![polygon]),
            Ok(geo::Geometry::MultiPolygon(shape)) => shape,
            _ => return Err(NOT_GEOMETRY),
        };
        Ok(Boundary { shape, multi })
    }

    /// `geo`'s validity check (no self-intersection, holes inside their shell and apart,
    /// parts that do not overlap), its first complaint in words for the user. Quadratic in
    /// the positions of a ring: up to a few hundred milliseconds at `MAX_POSITIONS`.
    pub fn check(&self) -> Result<(), BoundaryError> {
        let Err(problem) = self.shape.check_validation() else {
            // geo misses a ring that folds back on itself along one line, such as
            // [0,0] → [1,0] → [2,0] → [0,0]: its segments all touch their neighbours only.
            let flat =
                |ring: &LineString| Polygon::new(ring.clone(), vec![]).unsigned_area() == 0.0;
            let mut rings =
                (self.shape.iter()).flat_map(|p| once(p.exterior()).chain(p.interiors()));
            if rings.any(flat) {
                return Err(BoundaryError("多边形的环面积不能为零"));
            }
            return Ok(());
        };
        Err(BoundaryError(match problem {
            InvalidMultiPolygon::InvalidPolygon(_, problem) => match problem {
                InvalidPolygon::TooFewPointsInRing(_) => "多边形的每个环至少需要 3 个不同的坐标点",
                InvalidPolygon::SelfIntersection(_) => "边界自相交",
                InvalidPolygon::NonFiniteCoord(..) => BAD_POSITION.0,
                InvalidPolygon::InteriorRingNotContainedInExteriorRing(_) => {
                    "多边形的内环（洞）须位于外环之内"
                }
                InvalidPolygon::IntersectingRingsOnALine(..)
                | InvalidPolygon::IntersectingRingsOnAnArea(..) => "多边形的环之间不能交叉或重叠",
            },
            InvalidMultiPolygon::ElementsOverlaps(..) => "多面边界的各个多边形不能重叠",
            InvalidMultiPolygon::ElementsTouchOnALine(..) => {
                "多面边界的各个多边形只能在点上相接，不能共用边"
            }
        }))
    }

    /// The normalized GeoJSON object: only `type` and 2-D `coordinates`.
    pub fn to_geojson(&self) -> Value {
        let value = match (self.multi, self.shape.0.as_slice()) {
            (false, [polygon]) => GeometryValue::from(polygon),
            _ => GeometryValue::from(&self.shape),
        };
        Value::from(&value)
    }

    /// The normalized GeoJSON text, as stored.
    pub fn to_text(&self) -> String {
        self.to_geojson().to_string()
    }

    /// The rectangle holding every polygon.
    pub fn bounding_box(&self) -> BoundingBox {
        let rect = self.shape.bounding_rect();
        let (min, max) = rect.map_or(((0.0, 0.0), (0.0, 0.0)), |r| (r.min().x_y(), r.max().x_y()));
        BoundingBox {
            min_lat: min.1,
            max_lat: max.1,
            min_lng: min.0,
            max_lng: max.0,
        }
    }

    /// True when the point lies in a polygon and not strictly inside one of its holes; a point
    /// on a border counts as inside, so a resident on the line between two grids gets one.
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        self.shape.intersects(&Point::new(lng, lat))
    }
}

/// Every polygon has rings, every ring at least four positions and closed, every position
/// `[lng, lat]` (an altitude may follow) in range; at most `MAX_POSITIONS` in all.
fn check_positions(polygons: &[Vec<Vec<Position>>]) -> Result<(), BoundaryError> {
    const EMPTY: BoundaryError = BoundaryError("边界坐标须为非空数组");
    if polygons.is_empty() || polygons.iter().any(Vec::is_empty) {
        return Err(EMPTY);
    }
    let rings = || polygons.iter().flatten();
    if rings().map(Vec::len).sum::<usize>() > MAX_POSITIONS {
        return Err(BoundaryError("边界坐标点过多（最多 5000 个）"));
    }
    for ring in rings() {
        if ring.len() < 4 {
            return Err(BoundaryError("多边形的每个环至少需要 4 个坐标点"));
        }
        let in_range =
            |p: &Position| (2..=3).contains(&p.len()) && valid_lng(p[0]) && valid_lat(p[1]);
        if !ring.iter().all(in_range) {
            return Err(BAD_POSITION);
        }
        if ring[0].as_slice()[..2] != ring[ring.len() - 1].as_slice()[..2] {
            return Err(BoundaryError("多边形的环须闭合（首尾坐标相同）"));
        }
    }
    Ok(())
}

/// True for a finite latitude within [-90, 90].
pub fn valid_lat(lat: f64) -> bool {
    (-90.0..=90.0).contains(&lat)
}

/// True for a finite longitude within [-180, 180].
pub fn valid_lng(lng: f64) -> bool {
    (-180.0..=180.0).contains(&lng)
}

#[cfg(test)]
mod tests;
