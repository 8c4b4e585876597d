//! Seeding through the real API: regions, a staff member, residents with points, goods.

use anyhow::{bail, ensure, Context};
use api::state::AppState;
use futures_util::{stream, StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Points each resident receives before the run; a redemption costs `PRICE`.
const POINTS_PER_RESIDENT: i64 = 100_000;
/// Points price of every benchmark item.
pub const PRICE: i64 = 10;
/// Where every benchmark community stands (a check-in sent from here is inside every
/// geofence, and travel between communities takes no time).
pub const POSITION: (f64, f64) = (31.23, 121.47);
/// Largest stock one create or restock call accepts.
const STOCK_STEP: i64 = 100_000;

/// An HTTP client of the server under test.
#[derive(Clone)]
pub struct Api {
    /// Keep-alive client.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Api {
    /// A client with a connection pool big enough for every load client.
    pub fn new(port: u16) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Api {
            http,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    /// POSTs JSON and answers the body of a 200 or 201; anything else fails the run.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if path.ends_with("/adjustments") {
            request = request.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if status != StatusCode::OK && status != StatusCode::CREATED {
            bail!("POST {path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access token.
    pub token: String,
}

/// Everyone the benchmark needs, made through the API.
pub struct World {
    /// The platform admin.
    pub admin: User,
    /// Staff of every benchmark community.
    pub staff: User,
    /// The street of every benchmark community.
    pub street_id: i64,
    /// Residents by load client: client `c` owns `residents[c]`. Ids are consecutive.
    pub residents: Vec<Vec<User>>,
}

impl World {
    /// The first resident's id (residents' ids are consecutive, client by client).
    pub fn first_resident(&self) -> i64 {
        self.residents[0][0].id
    }
}

/// A community with goods on its shelf; goods ids are consecutive.
#[derive(Clone, Debug)]
pub struct Shelf {
    /// The community's name.
    pub community: String,
    /// Community id.
    pub community_id: i64,
    /// Goods ids, ascending.
    pub goods: Vec<i64>,
}

impl Shelf {
    /// The name of the shelf's `i`-th goods.
    pub fn name(&self, i: usize) -> String {
        format!("{}商品{i}", self.community)
    }
}

/// An answer of the shape and size `POST /api/v1/redemptions` stores with its key.
pub fn answer_like(shelf: &Shelf, goods_id: i64, user_id: i64) -> String {
    json!({
        "id": 1_000_000, "status": "pending", "code": "123456", "expires_at": "2026-11-29T00:28:52.674696Z",
        "points": PRICE, "quantity": 1,
        "goods": { "id": goods_id, "name": shelf.name(0), "points_price": PRICE, "image_url": null },
        "community_id": shelf.community_id, "user_id": user_id, "created_at": "2026-11-22T00:28:52.674696Z",
        "fulfilled_at": null, "fulfilled_by": null, "closed_at": null,
    })
    .to_string()
}

async fn login(api: &Api, name: &str) -> anyhow::Result<User> {
    let body = api
        .post(
            "/api/v1/auth/wechat-login",
            None,
            json!({ "code": format!("mock:{name}") }),
        )
        .await?;
    user_from(&body)
}

fn user_from(body: &Value) -> anyhow::Result<User> {
    Ok(User {
        id: body["user"]["id"]
            .as_i64()
            .context("login answer without user.id")?,
        token: body["access_token"]
            .as_str()
            .context("login answer without access_token")?
            .to_owned(),
    })
}

fn id_of(body: &Value) -> anyhow::Result<i64> {
    body["id"]
        .as_i64()
        .with_context(|| format!("answer without id: {body}"))
}

/// Creates the admin, the region, the staff member and the residents with their points.
pub async fn world(
    api: &Api,
    state: &AppState,
    clients: usize,
    per_client: usize,
) -> anyhow::Result<World> {
    let world = people(api, state, clients, per_client).await?;
    fund(api, &world).await?;
    Ok(world)
}

/// Creates the admin, the region, the staff member and the residents (logged in with
/// `mock:` codes, one after another so that their ids are consecutive).
pub async fn people(
    api: &Api,
    state: &AppState,
    clients: usize,
    per_client: usize,
) -> anyhow::Result<World> {
    let password = "benchmark password";
    api::identity::login::create_admin(
        &state.db,
        &state.cache,
        &state.clock,
        "bench-admin",
        password,
    )
    .await
    .map_err(|e| anyhow::anyhow!("create_admin: {e:?}"))?;
    let admin = user_from(
        &api.post(
            "/api/v1/auth/password-login",
            None,
            json!({ "username": "bench-admin", "password": password }),
        )
        .await?,
    )?;
    let district = id_of(
        &api.post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": "压测区" }),
        )
        .await?,
    )?;
    let street = id_of(
        &api.post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": district, "name": "压测街道" }),
        )
        .await?,
    )?;
    let staff = login(api, "bench-staff").await?;

    // One after another, so that ids are consecutive and pgbench can compute them.
    let mut residents = Vec::with_capacity(clients);
    for c in 0..clients {
        let mut own = Vec::with_capacity(per_client);
        for u in 0..per_client {
            own.push(login(api, &format!("bench-resident-{c:03}-{u:02}")).await?);
        }
        residents.push(own);
    }
    let ids: Vec<i64> = residents.iter().flatten().map(|u| u.id).collect();
    ensure!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "resident ids are not consecutive; pgbench could not address them"
    );

    Ok(World {
        admin,
        staff,
        street_id: street,
        residents,
    })
}

/// Makes every resident an approved resident of a home community and gives each
/// `POINTS_PER_RESIDENT` points by staff adjustments.
async fn fund(api: &Api, world: &World) -> anyhow::Result<()> {
    let home = community(api, world, "压测社区").await?;
    // Staff adjust only the points of approved residents of their community.
    stream::iter(world.residents.iter().flatten().enumerate())
        .map(|(i, user)| {
            let body = json!({ "community_id": home, "building": "1栋", "unit": "1单元",
                "room": (1001 + i).to_string(), "relation": "tenant" });
            let staff = &world.staff.token;
            async move {
                let applied = api.post("/api/v1/me/residences", Some(&user.token), body);
                let approve = format!("/api/v1/residences/{}/approve", id_of(&applied.await?)?);
                api.post(&approve, Some(staff), json!({})).await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let adjustments = format!("/api/v1/communities/{home}/points/adjustments");
    let ids = world.residents.iter().flatten().map(|u| u.id);
    stream::iter(ids)
        .map(|user_id| {
            let body =
                json!({ "user_id": user_id, "delta": POINTS_PER_RESIDENT, "reason": "压测积分" });
            let (adjustments, token) = (&adjustments, &world.staff.token);
            async move { api.post(adjustments, Some(token), body).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// A community in the benchmark street, managed by the benchmark staff member. Its
/// supermarket serves anyone: the residents live in the home community and redeem on the
/// shelves of others. Every benchmark community stands at `POSITION`.
pub async fn community(api: &Api, world: &World, name: &str) -> anyhow::Result<i64> {
    let body = json!({ "street_id": world.street_id, "name": name, "lat": POSITION.0, "lng": POSITION.1,
                       "checkin_radius_m": 300, "supermarket_policy": "anyone" });
    let id = id_of(
        &api.post("/api/v1/communities", Some(&world.admin.token), body)
            .await?,
    )?;
    let grant = json!({ "user_id": world.staff.id, "role": "community_staff", "scope_id": id });
    api.post("/api/v1/role-assignments", Some(&world.admin.token), grant)
        .await?;
    Ok(id)
}

/// A fresh community named `name` with `count` goods of at least `stock` units each.
pub async fn shelf(
    api: &Api,
    world: &World,
    name: &str,
    count: usize,
    stock: i64,
) -> anyhow::Result<Shelf> {
    let community_id = community(api, world, name).await?;
    let token = Some(world.staff.token.as_str());
    let mut goods = Vec::with_capacity(count);
    for i in 0..count {
        let body = json!({
            "name": format!("{name}商品{i}"),
            "description": "压测用商品",
            "category": "日用品",
            "points_price": PRICE,
            "stock": stock.min(STOCK_STEP),
        });
        let id = id_of(
            &api.post(
                &format!("/api/v1/communities/{community_id}/goods"),
                token,
                body,
            )
            .await?,
        )?;
        let mut stocked = stock.min(STOCK_STEP);
        while stocked < stock {
            let quantity = (stock - stocked).min(STOCK_STEP);
            let body = json!({ "quantity": quantity, "note": "压测补货" });
            api.post(&format!("/api/v1/goods/{id}/restock"), token, body)
                .await?;
            stocked += quantity;
        }
        goods.push(id);
    }
    ensure!(
        goods.windows(2).all(|w| w[1] == w[0] + 1),
        "goods ids of {name} are not consecutive"
    );
    Ok(Shelf {
        community: name.to_owned(),
        community_id,
        goods,
    })
}
