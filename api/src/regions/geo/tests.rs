//! Boundaries: what is refused and why, containment with holes and parts, the stored form.

use serde_json::json;

use super::*;

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
}

fn polygon(rings: Value) -> Result<Boundary, BoundaryError> {
    Boundary::from_geojson(&json!({ "type": "Polygon", "coordinates": rings }))
}

fn polygon_with_hole() -> Boundary {
    polygon(json!([
        square(111.0, 40.0, 111.1, 40.1),
        square(111.04, 40.04, 111.06, 40.06)
    ]))
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
fn a_point_on_a_border_is_contained() {
    let b = polygon_with_hole();
    assert!(b.contains(40.0, 111.05));
    assert!(b.contains(40.04, 111.05));
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
    let b = polygon(json!([ring])).unwrap();
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
fn the_bounding_box_spans_every_part() {
    let b = Boundary::from_geojson(&json!({
        "type": "MultiPolygon",
        "coordinates": [[square(0.0, 0.0, 1.0, 1.0)], [square(5.0, -2.0, 6.0, 6.0)]],
    }))
    .unwrap();
    let expected = BoundingBox {
        min_lat: -2.0,
        max_lat: 6.0,
        min_lng: 0.0,
        max_lng: 6.0,
    };
    assert_eq!(b.bounding_box(), expected);
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
    assert!(!text.contains("12.5"));
    assert_eq!(Boundary::parse(&text).unwrap(), b);
    assert_eq!(
        b.to_geojson(),
        json!({ "type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]] })
    );
}

#[test]
fn a_multipolygon_of_one_part_stays_a_multipolygon() {
    let value = json!({ "type": "MultiPolygon", "coordinates": [[square(0.0, 0.0, 1.0, 1.0)]] });
    let b = Boundary::from_geojson(&value).unwrap();
    assert_eq!(b.to_geojson(), value);
}

#[test]
fn malformed_boundaries_are_refused() {
    let cases = [
        json!("Polygon"),
        json!({ "type": "Point", "coordinates": [0, 0] }),
        json!({ "type": "Polygon" }),
        json!({ "type": "Polygon", "coordinates": [] }),
        json!({ "type": "Polygon", "coordinates": [[]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 91], [1, 1], [0, 0]]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]] }),
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0, 0, 0], [1, 1], [0, 0]]] }),
        json!({ "type": "MultiPolygon", "coordinates": [] }),
        json!({ "type": "MultiPolygon", "coordinates": [[]] }),
        json!({ "type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1]]]] }),
        json!({ "type": "MultiPolygon", "coordinates": [square(0.0, 0.0, 1.0, 1.0)] }),
    ];
    for case in cases {
        assert!(Boundary::from_geojson(&case).is_err(), "accepted {case}");
    }
}

#[test]
fn a_position_of_one_number_is_refused_rather_than_crashing_the_conversion() {
    let err = polygon(json!([[[0], [1, 0], [1, 1], [0]]]));
    assert_eq!(err, Err(BAD_POSITION));
}

#[test]
fn a_bow_tie_is_refused_as_self_intersecting() {
    let bow_tie = json!([[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]);
    assert_eq!(polygon(bow_tie), Err(BoundaryError("边界自相交")));
}

#[test]
fn a_ring_that_folds_back_on_itself_is_refused() {
    let flat = json!([[[0, 0], [1, 0], [2, 0], [0, 0]]]);
    assert_eq!(polygon(flat), Err(BoundaryError("多边形的环面积不能为零")));
    let one_point = json!([[[1, 1], [1, 1], [1, 1], [1, 1]]]);
    assert_eq!(
        polygon(one_point),
        Err(BoundaryError("多边形的每个环至少需要 3 个不同的坐标点"))
    );
}

#[test]
fn a_hole_outside_its_shell_is_refused() {
    let rings = json!([square(0.0, 0.0, 1.0, 1.0), square(2.0, 2.0, 3.0, 3.0)]);
    assert_eq!(
        polygon(rings),
        Err(BoundaryError("多边形的内环（洞）须位于外环之内"))
    );
}

#[test]
fn holes_that_overlap_are_refused() {
    let rings = json!([
        square(0.0, 0.0, 10.0, 10.0),
        square(1.0, 1.0, 5.0, 5.0),
        square(3.0, 3.0, 7.0, 7.0)
    ]);
    assert_eq!(
        polygon(rings),
        Err(BoundaryError("多边形的环之间不能交叉或重叠"))
    );
}

#[test]
fn overlapping_parts_of_a_multipolygon_are_refused() {
    let overlapping = json!({ "type": "MultiPolygon",
        "coordinates": [[square(0.0, 0.0, 2.0, 2.0)], [square(1.0, 1.0, 3.0, 3.0)]] });
    let sharing_an_edge = json!({ "type": "MultiPolygon",
        "coordinates": [[square(0.0, 0.0, 1.0, 1.0)], [square(1.0, 0.0, 2.0, 1.0)]] });
    let touching_at_a_corner = json!({ "type": "MultiPolygon",
        "coordinates": [[square(0.0, 0.0, 1.0, 1.0)], [square(1.0, 1.0, 2.0, 2.0)]] });
    assert_eq!(
        Boundary::from_geojson(&overlapping),
        Err(BoundaryError("多面边界的各个多边形不能重叠"))
    );
    assert!(Boundary::from_geojson(&sharing_an_edge).is_err());
    assert!(Boundary::from_geojson(&touching_at_a_corner).is_ok());
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
    let err = polygon(json!([ring]));
    assert_eq!(err, Err(BoundaryError("边界坐标点过多（最多 5000 个）")));
    ring.truncate(n - 2);
    ring.push(ring[0].clone());
    assert!(polygon(json!([ring])).is_ok());
}

#[test]
fn stored_text_is_read_without_the_validity_check() {
    let bow_tie =
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] });
    assert!(Boundary::parse(&bow_tie.to_string()).is_ok());
    assert!(Boundary::parse("not json").is_err());
    assert!(
        Boundary::parse(r#"{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0]]]}"#).is_err()
    );
}
