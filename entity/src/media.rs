//! The `media` table: one row per stored upload (who, what for, which file), for audit and
//! for finding files no longer used. Files are content-addressed, so rows may share a name.

use sea_orm::entity::prelude::*;

pub use crate::enums::MediaPurpose;

/// A row of `media`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// File name under `media/`: hex SHA-256 of the stored bytes and an extension.
    pub name: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Size of the stored file.
    pub bytes: i64,
    /// Width in pixels, after orientation and downscaling.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// What the picture is for.
    pub purpose: MediaPurpose,
    /// Who uploaded it.
    pub uploader_id: i64,
    /// What it was attached to: the user (avatar) or the goods (goods image).
    pub subject_id: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
