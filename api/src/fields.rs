//! Deserializers shared by the request DTOs: free text arrives trimmed, and an explicit
//! `null` can be told from an absent field. Use with `#[serde(deserialize_with = "…")]`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Trims a required string.
pub fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| s.trim().to_owned())
}

/// Trims an optional string.
pub fn trimmed_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d).map(|s| s.map(|s| s.trim().to_owned()))
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`, via `default`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Trims a string that may be `null` (`Some(None)`), or is absent (`None`, via `default`).
pub fn nullable_trimmed<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(|s| Some(s.map(|s| s.trim().to_owned())))
}

/// Keeps an explicit `null` as `Value::Null`, so validation can refuse it.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Input {
        #[serde(deserialize_with = "super::trimmed")]
        name: String,
        #[serde(default, deserialize_with = "super::nullable_trimmed")]
        note: Option<Option<String>>,
    }

    #[test]
    fn text_arrives_trimmed_and_null_is_told_from_absent() {
        let a: Input = serde_json::from_str(r#"{"name":"  光明 ","note":null}"#).unwrap();
        assert_eq!(a.name, "光明");
        assert_eq!(a.note, Some(None));
        let b: Input = serde_json::from_str(r#"{"name":"x","note":" n "}"#).unwrap();
        assert_eq!(b.note, Some(Some("n".to_owned())));
        let c: Input = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert_eq!(c.note, None);
    }
}
