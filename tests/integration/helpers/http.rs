//! The one way tests send HTTP: a client bound to a test server whose every answer goes
//! through the error contract (`error_contract::check`) before the test sees it. It reads
//! like `reqwest::Client` (full URLs or paths, `send()` answering a `Result`), so tests
//! written against reqwest keep compiling.

use std::time::Duration;

use reqwest::{
    header::{HeaderName, HeaderValue},
    Method, Response,
};
use serde::Serialize;

use super::error_contract;

/// A client of one test server (cheap to clone into spawned tasks).
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    address: String,
}

impl Client {
    /// A client of the server at `address` (`http://127.0.0.1:<port>`).
    pub fn new(address: String) -> Client {
        Client {
            inner: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            address,
        }
    }

    /// A request to `target` on this server: a path (with its query string) or a full URL.
    pub fn request(&self, method: Method, target: impl AsRef<str>) -> Request {
        let target = target.as_ref();
        let path = target.strip_prefix(&self.address).unwrap_or(target);
        Request {
            method: method.clone(),
            path: path.to_owned(),
            builder: self
                .inner
                .request(method, format!("{}{path}", self.address)),
        }
    }

    /// A GET.
    pub fn get(&self, target: impl AsRef<str>) -> Request {
        self.request(Method::GET, target)
    }

    /// A POST.
    pub fn post(&self, target: impl AsRef<str>) -> Request {
        self.request(Method::POST, target)
    }
}

/// A request being built; `send` checks its answer against the error contract.
pub struct Request {
    method: Method,
    path: String,
    builder: reqwest::RequestBuilder,
}

impl Request {
    /// Adds a header.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        self.builder = self.builder.header(name, value);
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer_auth(mut self, token: &str) -> Self {
        self.builder = self.builder.bearer_auth(token);
        self
    }

    /// A JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.builder = self.builder.json(body);
        self
    }

    /// A raw body.
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.body(body);
        self
    }

    /// Sends it; panics when an error answer breaks the error contract.
    pub async fn send(self) -> reqwest::Result<Response> {
        let response = self.builder.send().await?;
        let status = response.status().as_u16();
        if status < 400 || self.method == Method::HEAD {
            return Ok(response);
        }
        let mut head = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        let body = response.bytes().await?;
        error_contract::check(&self.method, &self.path, status, &body);
        Ok(Response::from(head.body(body).expect("a response")))
    }
}
