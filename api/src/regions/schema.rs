//! The OpenAPI shape of a boundary. Boundaries travel as plain GeoJSON (`serde_json::Value`,
//! read and checked by `geo::Boundary`); this type only documents them, as `oneOf` a Polygon
//! and a MultiPolygon, instead of an untyped object.

use utoipa::{
    openapi::{
        schema::{ArrayBuilder, ArrayItems, ObjectBuilder, OneOfBuilder, Schema, Type},
        RefOr,
    },
    PartialSchema, ToSchema,
};

/// A GeoJSON Polygon or MultiPolygon with `[lng, lat]` positions (documentation only).
pub struct GeoJsonBoundary;

/// An array of `items`, at least `min` long.
fn array_of(items: impl Into<RefOr<Schema>>, min: usize) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ArrayItems::RefOrSchema(Box::new(items.into())))
        .min_items(Some(min))
}

/// `[lng, lat]`, or `[lng, lat, altitude]` (the altitude is ignored).
fn position() -> ArrayBuilder {
    array_of(ObjectBuilder::new().schema_type(Type::Number), 2)
        .max_items(Some(3))
        .description(Some("`[lng, lat]`"))
}

/// A closed ring: at least four positions, the last equal to the first.
fn ring() -> ArrayBuilder {
    array_of(position(), 4).description(Some(
        "A closed ring: the first position repeated last; the first ring is the shell, the \
         others its holes",
    ))
}

/// A GeoJSON geometry object of `kind` with these `coordinates`.
fn geometry(kind: &str, coordinates: ArrayBuilder, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([kind])),
        )
        .required("type")
        .property("coordinates", coordinates)
        .required("coordinates")
        .description(Some(description))
}

impl PartialSchema for GeoJsonBoundary {
    fn schema() -> RefOr<Schema> {
        let polygon = geometry("Polygon", array_of(ring(), 1), "A GeoJSON Polygon");
        let multi = geometry(
            "MultiPolygon",
            array_of(array_of(ring(), 1), 1),
            "A GeoJSON MultiPolygon: polygons apart from each other",
        );
        OneOfBuilder::new()
            .item(polygon)
            .item(multi)
            .description(Some(
                "A GeoJSON Polygon or MultiPolygon with `[lng, lat]` positions (rings closed \
                 and not crossing themselves, holes inside their shell, parts apart)",
            ))
            .into()
    }
}

impl ToSchema for GeoJsonBoundary {}
