//! Turning an upload into a picture that is safe to serve: the type is sniffed from the bytes
//! (never the file name or `Content-Type`), the size checked from the header before anything
//! is decoded, the decoder bounded (decompression bombs), the EXIF orientation applied (phones
//! store photos sideways with a tag saying so), the picture downscaled for its use and encoded
//! anew. Re-encoding is what strips metadata: the encoders write pixels only, so no EXIF (GPS,
//! camera serial), XMP, ICC profile or comment of the upload survives.
//!
//! Opaque pictures become JPEG (quality 85: a 1280 px photo in ~200 KB, what a mini-program
//! shows at once); pictures that use transparency become PNG, which keeps it. Animated PNG and
//! WebP keep their first frame. Everything here is CPU work: run it off the async workers.

use std::io::Cursor;

use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits,
};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Most pixels (width × height) an upload may have: 40 MP, above the 12–24 MP of phone cameras.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side an upload may have.
pub const MAX_SIDE: u32 = 8192;
/// Most memory a decoder may allocate (a 40 MP picture with 16-bit RGBA is 320 MB).
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// JPEG quality of stored pictures.
const JPEG_QUALITY: u8 = 85;

/// How a picture is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Opaque pictures.
    Jpeg,
    /// Pictures with transparency.
    Png,
}

impl Encoding {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Jpeg => "jpg",
            Encoding::Png => "png",
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Jpeg => "image/jpeg",
            Encoding::Png => "image/png",
        }
    }

    /// The encoding of an extension.
    pub fn from_extension(ext: &str) -> Option<Encoding> {
        match ext {
            "jpg" => Some(Encoding::Jpeg),
            "png" => Some(Encoding::Png),
            _ => None,
        }
    }
}

/// A picture ready to store: encoded bytes without metadata, and its size.
#[derive(Debug)]
pub struct Picture {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// JPEG or PNG.
    pub encoding: Encoding,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The accepted format the bytes start with: JPEG, PNG or WebP.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// 422 `unsupported_image`: not a JPEG, PNG or WebP picture.
pub fn unsupported_image() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnsupportedImage,
        "仅支持 JPEG、PNG、WebP 图片",
    )
}

/// 422 `unsupported_image` for a picture whose type is right but whose data is broken.
fn unreadable_image() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnsupportedImage,
        "图片已损坏或无法读取，请换一张 JPEG、PNG 或 WebP 图片",
    )
}

/// 422 `image_too_large`: over `MAX_PIXELS` or `MAX_SIDE`.
pub fn image_too_large() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ImageTooLarge,
        "图片尺寸过大：最多 4000 万像素，长和宽都不能超过 8192 像素",
    )
}

fn decode_error(err: ImageError) -> ApiError {
    match err {
        ImageError::Limits(_) => image_too_large(),
        _ => unreadable_image(),
    }
}

/// Decodes an upload, applies its orientation, fits it within `max_side` × `max_side` and
/// encodes it anew without metadata.
pub fn process(bytes: &[u8], max_side: u32) -> ApiResult<Picture> {
    let format = sniff(bytes).ok_or_else(unsupported_image)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    // Reads the header only: the size is checked before a pixel is decoded.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(unreadable_image());
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(image_too_large());
    }
    // A broken EXIF block leaves the picture as stored rather than refusing it.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    if image.width() > max_side || image.height() > max_side {
        image = image.thumbnail(max_side, max_side);
    }
    encode(&image)
}

/// Encodes as JPEG when every pixel is opaque, else as PNG.
fn encode(image: &DynamicImage) -> ApiResult<Picture> {
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let translucent = image.color().has_alpha() && {
        let rgba = image.to_rgba8();
        rgba.pixels().any(|p| p.0[3] < u8::MAX)
    };
    let encoding = if translucent {
        let rgba = image.to_rgba8();
        PngEncoder::new(&mut bytes)
            .write_image(&rgba, width, height, image::ExtendedColorType::Rgba8)
            .map_err(ApiError::internal)?;
        Encoding::Png
    } else {
        let rgb = image.to_rgb8();
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .write_image(&rgb, width, height, image::ExtendedColorType::Rgb8)
            .map_err(ApiError::internal)?;
        Encoding::Jpeg
    };
    Ok(Picture {
        bytes,
        encoding,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_first_bytes_only() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageFormat::Png));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageFormat::WebP));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
    }
}
