//! Building and running the server: `Application::build → port() → run_until_stopped()`.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    dev::Server,
    middleware::{from_fn, Compress},
    web, App, HttpResponse, HttpServer,
};
use anyhow::Context;
use secrecy::ExposeSecret;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    activities,
    auth::{callers::CallerCache, jwt::Tokens},
    cache::Cache,
    clock::Clock,
    config::Settings,
    counts,
    db::Db,
    error::ApiError,
    fallback, health, identity,
    media::{self, MediaStore},
    method_override::method_override,
    middleware::{rate_limit, request_log},
    openapi, points, regions, residents, roles,
    state::AppState,
    stations, strict_query, supermarket, volunteers,
    wechat::Wechat,
};

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    sweepers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates and binds with the real clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(Clock::default())).await
    }

    /// Same as `build`, with a clock the caller can move.
    pub async fn build_with_clock(settings: Settings, clock: Arc<Clock>) -> anyhow::Result<Self> {
        let state = web::Data::new(build_state(settings, clock).await?);
        let listener = TcpListener::bind(state.settings.bind)
            .with_context(|| format!("cannot listen on {}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            // Each worker's queries go through a pool of its own (see `Db::start_worker`).
            if let Err(e) = app_state.db.start_worker() {
                tracing::error!(error = %e, "worker pool unavailable, using the shared pool");
            }
            App::new()
                .app_data(app_state.clone())
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::not_found("route").into()),
                )
                .configure(routes)
                .default_service(web::to(fallback::unknown_route))
                // Innermost: after the method override, so the served method is checked.
                .wrap(from_fn(strict_query::strict_query))
                .wrap(from_fn(fallback::json_method_not_allowed))
                .wrap(from_fn(rate_limit))
                // Before routing and rate limits, inside the access log (which logs the
                // effective method itself, see `request_log`).
                .wrap(from_fn(method_override))
                .wrap(Compress::default())
                .wrap(from_fn(request_log))
        })
        .workers(state.settings.http_workers());
        let server = server
            .listen(listener)?
            .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
            .run();
        let every = state.settings.sweep_interval;
        let sweepers = if every.is_zero() {
            Vec::new()
        } else {
            vec![
                tokio::spawn(supermarket::sweeper::run(state.clone(), every)),
                tokio::spawn(volunteers::sweeper::run(state.clone(), every)),
            ]
        };
        Ok(Application {
            port,
            server,
            state,
            sweepers,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests reach the clock and database through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stopped = self.server.await;
        for sweeper in self.sweepers {
            sweeper.abort();
        }
        stopped
    }
}

/// Connects the database (running migrations), the cache and the WeChat client.
pub async fn build_state(settings: Settings, clock: Arc<Clock>) -> anyhow::Result<AppState> {
    settings.check()?;
    let db = Db::connect_server(
        &settings.database_url,
        settings.db_max_connections,
        settings.http_workers(),
    )
    .await?;
    db.migrate().await?;
    let cache = match &settings.redis_url {
        Some(url) => Cache::redis(url, &settings.redis_prefix)
            .await
            .context("LINLI_REDIS_URL is not a valid Redis URL")?,
        None => Cache::memory(),
    };
    let wechat = Wechat::new(settings.wechat.clone())?;
    let tokens = Tokens::new(
        settings.jwt_secret.expose_secret(),
        settings.access_ttl,
        settings.refresh_ttl,
        settings.refresh_reuse_grace,
    )?;
    let supermarket = supermarket::gate::Counter::new(settings.redemption_ttl)?;
    let checkin_codes =
        volunteers::code::CheckinCodes::new(settings.jwt_secret.expose_secret().as_bytes());
    let media = MediaStore::new(&settings);
    for warning in settings.warnings() {
        tracing::warn!("{warning}");
    }
    Ok(AppState {
        db,
        cache,
        callers: CallerCache::new(settings.caller_cache_ttl),
        near: Default::default(),
        stations: Default::default(),
        wechat,
        clock,
        tokens,
        settings,
        media,
        supermarket,
        checkin_codes,
    })
}

/// The route tree.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/media/{name}", web::get().to(media::handlers::serve_media))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi::document()))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .service(
            web::scope("/api/v1")
                .configure(identity::routes)
                .configure(roles::routes)
                .configure(regions::routes)
                .configure(residents::routes)
                .configure(points::routes)
                .configure(supermarket::routes)
                .configure(counts::routes)
                .configure(volunteers::routes)
                .configure(activities::routes)
                .configure(stations::routes),
        );
}

/// How long a graceful shutdown may take.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
