//! Content-addressed storage of pictures under `LINLI_DATA_DIR/media`: a file is named by the
//! hex SHA-256 of its bytes plus its extension and kept in a folder named by the first two hex
//! digits (`media/ab/ab12….jpg`), so the same picture uploaded twice is one file with one URL,
//! and a name can be served forever with `immutable` caching. Files are written to a temporary
//! name in the same folder, then renamed: a reader never sees half a file.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::picture::{self, Encoding};
use crate::{
    config::Settings,
    error::{ApiError, ApiResult},
};

pub use entity::media::MediaPurpose;

/// The name of a stored picture: 64 lowercase hex digits, a dot, `jpg` or `png`. Parsing is
/// the only way to make one, so a name never holds a path separator or `..`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaName {
    hash: String,
    encoding: Encoding,
}

impl MediaName {
    /// The name, if `text` is a well-formed one.
    pub fn parse(text: &str) -> Option<MediaName> {
        let (hash, ext) = text.split_once('.')?;
        let hex = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let encoding = Encoding::from_extension(ext)?;
        hex.then(|| MediaName {
            hash: hash.to_owned(),
            encoding,
        })
    }

    /// The hex SHA-256 of the file.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// JPEG or PNG.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The file's path under the media folder: `ab/ab12….jpg`.
    fn relative_path(&self) -> PathBuf {
        Path::new(&self.hash[..2]).join(self.to_string())
    }
}

impl std::fmt::Display for MediaName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.hash, self.encoding.extension())
    }
}

/// True when `url` is the path of one of our pictures (`/media/<name>`), as handed out when
/// no `LINLI_PUBLIC_BASE_URL` is set.
pub fn is_media_path(url: &str) -> bool {
    url.strip_prefix("/media/")
        .is_some_and(|name| MediaName::parse(name).is_some())
}

/// The largest side of a stored picture for each use.
pub fn max_side(purpose: MediaPurpose) -> u32 {
    match purpose {
        MediaPurpose::Avatar => 512,
        MediaPurpose::GoodsImage => 1280,
    }
}

/// An upload as received: the bytes of the multipart `file` field.
#[derive(Debug)]
pub struct Upload {
    /// The file's bytes, at most `LINLI_UPLOAD_MAX_BYTES`.
    pub bytes: Vec<u8>,
}

/// A stored picture.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its name.
    pub name: MediaName,
    /// The URL clients load it from.
    pub url: String,
    /// Size of the file.
    pub bytes: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Where pictures are stored and how they are handed out.
pub struct MediaStore {
    root: PathBuf,
    public_base_url: String,
    /// Largest upload (`LINLI_UPLOAD_MAX_BYTES`).
    pub max_bytes: usize,
    /// Time to receive an upload (`LINLI_UPLOAD_READ_TIMEOUT_SECS`).
    pub read_timeout: Duration,
    /// Decodes at once: one per core, so uploads queue instead of taking every core and
    /// hundreds of megabytes each.
    decoding: Arc<Semaphore>,
}

impl MediaStore {
    /// The store of a server: `data_dir/media`.
    pub fn new(settings: &Settings) -> MediaStore {
        MediaStore {
            root: settings.data_dir.join("media"),
            public_base_url: settings.public_base_url.clone(),
            max_bytes: settings.upload_max_bytes,
            read_timeout: settings.upload_read_timeout,
            decoding: Arc::new(Semaphore::new(settings.http_workers().max(1))),
        }
    }

    /// The URL a stored picture is loaded from: `LINLI_PUBLIC_BASE_URL` + `/media/<name>`.
    pub fn url(&self, name: &MediaName) -> String {
        format!("{}/media/{name}", self.public_base_url)
    }

    /// Checks, cleans and stores an upload for `purpose` (see `picture::process`); the
    /// decoding runs on the blocking pool. Storing the same picture again writes nothing.
    pub async fn store(&self, upload: Upload, purpose: MediaPurpose) -> ApiResult<Stored> {
        let _permit = self
            .decoding
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let root = self.root.clone();
        let side = max_side(purpose);
        let (name, picture) = tokio::task::spawn_blocking(move || {
            let picture = picture::process(&upload.bytes, side)?;
            let name = MediaName {
                hash: hex::encode(Sha256::digest(&picture.bytes)),
                encoding: picture.encoding,
            };
            write_once(&root, &name, &picture.bytes).map_err(ApiError::internal)?;
            Ok::<_, ApiError>((name, picture))
        })
        .await
        .map_err(ApiError::internal)??;
        Ok(Stored {
            url: self.url(&name),
            name,
            bytes: picture.bytes.len(),
            width: picture.width,
            height: picture.height,
        })
    }

    /// True when the picture is stored.
    pub async fn exists(&self, name: &MediaName) -> bool {
        tokio::fs::try_exists(self.root.join(name.relative_path()))
            .await
            .unwrap_or(false)
    }

    /// The bytes of a stored picture, or `None` when there is no such file.
    pub async fn read(&self, name: &MediaName) -> ApiResult<Option<Vec<u8>>> {
        match tokio::fs::read(self.root.join(name.relative_path())).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// Writes `bytes` as `name` unless that file exists: to a temporary file in the same folder,
/// flushed, then renamed over the name (atomic on one file system; two uploads of the same
/// picture at once both rename identical bytes).
fn write_once(root: &Path, name: &MediaName, bytes: &[u8]) -> std::io::Result<()> {
    let path = root.join(name.relative_path());
    if path.exists() {
        return Ok(());
    }
    let folder = path.parent().unwrap_or(root);
    std::fs::create_dir_all(folder)?;
    let temp = folder.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_hex_hash_with_a_known_extension_is_a_name() {
        let hash = "a".repeat(64);
        let name = MediaName::parse(&format!("{hash}.jpg")).unwrap();
        assert_eq!(name.to_string(), format!("{hash}.jpg"));
        assert_eq!(
            name.relative_path(),
            Path::new("aa").join(format!("{hash}.jpg"))
        );
        assert!(MediaName::parse(&format!("{hash}.png")).is_some());
        for bad in [
            format!("{hash}.gif"),
            format!("{hash}.jpg.png"),
            format!("{}.jpg", "A".repeat(64)),
            format!("{}.jpg", "a".repeat(63)),
            format!("../{}.jpg", "a".repeat(61)),
            hash.clone(),
            "..%2f..%2fetc%2fpasswd".to_owned(),
        ] {
            assert!(MediaName::parse(&bad).is_none(), "{bad}");
        }
        assert!(is_media_path(&format!("/media/{hash}.jpg")));
        assert!(!is_media_path(&format!("/media/x/{hash}.jpg")));
    }
}
