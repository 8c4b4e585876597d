//! What the tests need, made through the API as a client would: admins and logins, role
//! grants, streets, communities and grids, and the civility supermarket (a market, residents
//! with points, goods, redemptions) with readers of balances and stock.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::harness::TestApp;

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh: String,
}

impl TestApp {
    /// Logs in through mock WeChat as `mock:<name>`.
    pub async fn login(&self, name: &str) -> User {
        let (status, body) = self
            .post(
                "/api/v1/auth/wechat-login",
                None,
                json!({ "code": format!("mock:{name}") }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        user_from(&body)
    }

    /// A platform admin, created as `linli create-admin` does, logged in by password.
    pub async fn admin(&self) -> User {
        let username = format!("admin{}", uuid::Uuid::new_v4().simple());
        api::identity::login::create_admin(
            &self.state.db,
            &self.state.cache,
            &self.state.clock,
            &username,
            "correct horse battery",
        )
        .await
        .expect("admin created");
        let (status, body) = self
            .post(
                "/api/v1/auth/password-login",
                None,
                json!({ "username": username, "password": "correct horse battery" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "admin login failed: {body}");
        user_from(&body)
    }

    /// Grants a role through the API as `by`.
    pub async fn grant(&self, by: &User, user_id: i64, role: &str, scope_id: i64) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/role-assignments",
                Some(&by.token),
                json!({ "user_id": user_id, "role": role, "scope_id": scope_id }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "grant failed: {body}");
        body["id"].as_i64().unwrap()
    }
}

fn user_from(body: &Value) -> User {
    User {
        id: body["user"]["id"].as_i64().expect("user id"),
        token: body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// A district and street made by a platform admin.
pub struct Street {
    /// District id.
    pub district_id: i64,
    /// Street id.
    pub id: i64,
}

impl TestApp {
    /// Creates a district and a street in it.
    pub async fn street(&self, admin: &User, name: &str) -> Street {
        let (status, district) = self
            .post(
                "/api/v1/districts",
                Some(&admin.token),
                json!({ "name": format!("{name}区") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{district}");
        let district_id = district["id"].as_i64().unwrap();
        let (status, street) = self
            .post(
                "/api/v1/streets",
                Some(&admin.token),
                json!({ "district_id": district_id, "name": format!("{name}街道") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{street}");
        Street {
            district_id,
            id: street["id"].as_i64().unwrap(),
        }
    }

    /// Creates a community in a street, centred at (lat, lng).
    pub async fn community(
        &self,
        admin: &User,
        street_id: i64,
        name: &str,
        lat: f64,
        lng: f64,
    ) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/communities",
                Some(&admin.token),
                json!({ "street_id": street_id, "name": name, "lat": lat, "lng": lng, "checkin_radius_m": 300 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Creates a square grid (side `size` degrees, south-west corner at lat, lng) as `by`.
    pub async fn grid(
        &self,
        by: &User,
        community_id: i64,
        name: &str,
        lat: f64,
        lng: f64,
        size: f64,
    ) -> i64 {
        let ring = json!([
            [lng, lat],
            [lng + size, lat],
            [lng + size, lat + size],
            [lng, lat + size],
            [lng, lat]
        ]);
        let (status, body) = self
            .post(
                &format!("/api/v1/communities/{community_id}/grids"),
                Some(&by.token),
                json!({ "name": name, "boundary": { "type": "Polygon", "coordinates": [ring] } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }
}

// ---- Civility supermarket: a small market, points, goods, and the ledger invariants ----

/// One street with two communities, each with its own staff member.
pub struct Market {
    /// Platform admin.
    pub admin: User,
    /// The community whose supermarket the tests use.
    pub community: i64,
    /// Its staff member.
    pub staff: User,
    /// Another community of the same street.
    pub other_community: i64,
    /// Staff of the other community.
    pub other_staff: User,
}

impl TestApp {
    /// A street with two communities and their staff.
    pub async fn market(&self) -> Market {
        let admin = self.admin().await;
        let street = self.street(&admin, "新城").await;
        let community = self
            .community(&admin, street.id, "仕奇社区", 40.82, 111.66)
            .await;
        let other_community = self
            .community(&admin, street.id, "光明路社区", 40.83, 111.67)
            .await;
        let staff = self.login("market-staff").await;
        self.grant(&admin, staff.id, "community_staff", community)
            .await;
        let other_staff = self.login("market-other-staff").await;
        self.grant(&admin, other_staff.id, "community_staff", other_community)
            .await;
        Market {
            admin,
            community,
            staff,
            other_community,
            other_staff,
        }
    }

    /// Makes `user` an approved resident of `community` (a room of their own) through the API,
    /// unless they already are one: staff powers over points need that tie.
    pub async fn make_resident(&self, staff: &User, community: i64, user: &User) {
        let (status, mine) = self.get("/api/v1/me/residences", Some(&user.token)).await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        let list = mine["items"].as_array().cloned().unwrap_or_default();
        if list
            .iter()
            .any(|r| r["community_id"] == community && r["status"] == "approved")
        {
            return;
        }
        let (status, filed) = self
            .post(
                "/api/v1/me/residences",
                Some(&user.token),
                json!({ "community_id": community, "building": "1栋", "unit": "1单元",
                        "room": format!("{}", user.id), "relation": "tenant" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let id = filed["id"].as_i64().expect("residence id");
        let (status, body) = self
            .post(
                &format!("/api/v1/residences/{id}/approve"),
                Some(&staff.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "approve failed: {body}");
    }

    /// Gives (or takes) points through a staff adjustment, making the user a resident of the
    /// community first.
    pub async fn give_points(&self, staff: &User, community: i64, user: &User, delta: i64) {
        self.make_resident(staff, community, user).await;
        let key = uuid::Uuid::new_v4().to_string();
        let path = format!("/api/v1/communities/{community}/points/adjustments");
        let body = json!({ "user_id": user.id, "delta": delta, "reason": "测试发放" });
        let (status, text) = self.post_with_key(&path, &staff.token, &key, body).await;
        assert_eq!(status, StatusCode::CREATED, "adjustment failed: {text}");
    }

    /// Puts goods on the shelf as `staff`; answers the goods id.
    pub async fn put_goods(
        &self,
        staff: &User,
        community: i64,
        price: i64,
        stock: i64,
        monthly_limit: Option<i64>,
    ) -> i64 {
        let body = json!({
            "name": format!("物品{price}x{stock}"), "description": "爱心捐赠",
            "points_price": price, "stock": stock, "monthly_limit_per_user": monthly_limit,
        });
        let (status, goods) = self
            .post(
                &format!("/api/v1/communities/{community}/goods"),
                Some(&staff.token),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{goods}");
        goods["id"].as_i64().unwrap()
    }

    /// Redeems with a fresh `Idempotency-Key`; answers the status and the JSON body.
    pub async fn redeem(&self, user: &User, goods_id: i64, quantity: i64) -> (StatusCode, Value) {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({ "goods_id": goods_id, "quantity": quantity });
        let (status, text) = self
            .post_with_key("/api/v1/redemptions", &user.token, &key, body)
            .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A user's wallet balance (0 without a wallet).
    pub async fn balance(&self, user_id: i64) -> i64 {
        self.scalar(&format!(
            "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS n FROM points_wallets WHERE user_id = {user_id}"
        ))
        .await
    }

    /// The stock of goods.
    pub async fn stock(&self, goods_id: i64) -> i64 {
        self.scalar(&format!(
            "SELECT stock AS n FROM goods WHERE id = {goods_id}"
        ))
        .await
    }
}
