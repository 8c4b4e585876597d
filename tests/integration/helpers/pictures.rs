//! Pictures made in the test (JPEG, PNG, WebP; a JPEG with an EXIF block holding GPS tags and
//! an orientation, built byte by byte; a PNG header declaring a huge size), multipart bodies
//! written by hand (so a test can send any file name, part type or broken framing), uploads,
//! and readers of what the server stored.

use std::{io::Cursor, path::PathBuf};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::{header, StatusCode};
use serde_json::Value;

use super::harness::TestApp;

/// The boundary of the multipart bodies made here.
pub const BOUNDARY: &str = "linli-test-boundary-7MA4YWxkTrZu0gW";

/// A picture whose left half is red and right half blue.
pub fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

/// Encodes a picture in `format`.
pub fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .expect("the test picture encodes");
    out.into_inner()
}

/// An opaque JPEG of `width` × `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encoded(
        DynamicImage::ImageRgb8(halves(width, height)),
        ImageFormat::Jpeg,
    )
}

/// An opaque PNG of `width` × `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(
        DynamicImage::ImageRgb8(halves(width, height)),
        ImageFormat::Png,
    )
}

/// A PNG whose right half is transparent.
pub fn translucent_png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([230, 20, 20, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    encoded(DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

/// A (lossless) WebP of `width` × `height`.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let rgba = DynamicImage::ImageRgb8(halves(width, height)).to_rgba8();
    encoded(DynamicImage::ImageRgba8(rgba), ImageFormat::WebP)
}

/// A JPEG of `width` × `height` (left half red) with an EXIF APP1 block right after SOI:
/// Orientation 6 (turn 90° clockwise to view), and a GPS IFD with a latitude of
/// 39°54'27.00" N, the way a phone writes them, plus a comment segment.
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    assert_eq!(&plain[..2], [0xFF, 0xD8]);
    let mut tiff = Vec::new();
    // Header: big-endian, magic 42, IFD0 at 8.
    tiff.extend_from_slice(b"MM\0\x2A\0\0\0\x08");
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_be_bytes());
        e.extend_from_slice(&kind.to_be_bytes());
        e.extend_from_slice(&count.to_be_bytes());
        e.extend_from_slice(&value);
        e
    };
    // IFD0 at 8: two entries (2 + 24 + 4 = 30 bytes), so the GPS IFD starts at 38.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0112, 3, 1, [0, 6, 0, 0])); // Orientation: 6
    tiff.extend(entry(0x8825, 4, 1, 38u32.to_be_bytes())); // GPS IFD pointer
    tiff.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD at 38: two entries (30 bytes), so the rationals start at 68.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0001, 2, 2, [b'N', 0, 0, 0])); // GPSLatitudeRef
    tiff.extend(entry(0x0002, 5, 3, 68u32.to_be_bytes())); // GPSLatitude
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(39u32, 1u32), (54, 1), (2700, 100)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    assert_eq!(tiff.len(), 92);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    let comment = b"linli-secret-comment";
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&plain[2..]);
    out
}

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small PNG whose header declares `width` × `height` (its pixel data is for 1 × 1): enough
/// for a size check made before decoding.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height; the CRC covers the
    // type and the 13 data bytes.
    assert_eq!(&bytes[12..16], b"IHDR");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// One part of a multipart body.
pub struct Part<'a> {
    /// Field name.
    pub name: &'a str,
    /// File name, if a file.
    pub filename: Option<&'a str>,
    /// The part's `Content-Type`.
    pub content_type: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// A `multipart/form-data` body of `parts`, framed with `BOUNDARY`.
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let filename = part
            .filename
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"{filename}\r\nContent-Type: {}\r\n\r\n",
                part.name, part.content_type
            )
            .as_bytes(),
        );
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The `Content-Type` of the bodies made by `multipart`.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

impl TestApp {
    /// POSTs `bytes` as the `file` field (file name `photo.jpg`, type `image/jpeg`, whatever
    /// they are, as a phone would label them); answers the status and the JSON body.
    pub async fn upload(&self, path: &str, token: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let body = multipart(&[Part {
            name: "file",
            filename: Some("photo.jpg"),
            content_type: "image/jpeg",
            bytes,
        }]);
        self.post_raw(path, Some(token), &multipart_type(), body)
            .await
    }

    /// POSTs a raw body with a content type; answers the status and the JSON body.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GETs a picture URL the server handed out (relative `/media/…`); answers the response.
    pub async fn fetch_picture(&self, url: &str) -> reqwest::Response {
        assert!(url.starts_with("/media/"), "{url}");
        self.client
            .get(format!("{}{url}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    /// The files under `LINLI_DATA_DIR/media` (temporary files included).
    pub fn media_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![self.state.settings.data_dir.join("media")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }
}
