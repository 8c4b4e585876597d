//! `linli seed-demo`: a small realistic city in Hohhot's 回民区, loaded through the same
//! services the API uses, so every rule applies.

use std::sync::Arc;

use anyhow::{bail, Context};
use entity::districts;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use validator::Validate;

use crate::{
    auth::{extractor::load_user, Caller},
    clock::Clock,
    config::Settings,
    extract::validate,
    identity::{login, service as identity},
    regions::service::{communities, districts as district_service, grids},
    residents::{applications, dto::SubmitResidence, review},
    startup::build_state,
    state::AppState,
};

/// Password of the demo platform admin.
pub const ADMIN_PASSWORD: &str = "linli-demo-2026";
const DISTRICT: &str = "回民区";

/// Builds a DTO the way a request body is: deserialized, then validated.
fn dto<T: DeserializeOwned + Validate>(value: Value) -> anyhow::Result<T> {
    let parsed: T = serde_json::from_value(value)?;
    validate(&parsed).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(parsed)
}

fn square(lat: f64, lng: f64, size: f64) -> Value {
    // Six decimals (~0.1 m) keep the stored polygon free of floating-point noise.
    let r = |v: f64| (v * 1e6).round() / 1e6;
    let (lat, lng, north, east) = (r(lat), r(lng), r(lat + size), r(lng + size));
    json!({ "type": "Polygon", "coordinates": [[
        [lng, lat], [east, lat], [east, north], [lng, north], [lng, lat]
    ]] })
}

async fn mock_user(state: &AppState, name: &str, nickname: &str) -> anyhow::Result<Caller> {
    let code = format!("mock:{name}");
    let tokens = login::wechat_login(
        &state.db,
        &state.wechat,
        &state.tokens,
        state.clock.now(),
        &code,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let caller = load_user(state.db.conn(), tokens.user.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("demo user")?;
    let update = dto(json!({ "nickname": nickname }))?;
    identity::update_me(&state.db, &state.cache, &caller, state.clock.now(), update)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(caller)
}

/// Loads the demo city unless it is there, then prints how to log in.
pub async fn seed(settings: &Settings) -> anyhow::Result<()> {
    if !matches!(settings.wechat.mode, crate::config::WechatMode::Mock) {
        bail!("seed-demo needs LINLI_WECHAT_MODE=mock: its residents log in with mock codes");
    }
    let state = build_state(settings.clone(), Arc::new(Clock::default())).await?;
    let loaded = districts::Entity::find()
        .filter(districts::Column::Name.eq(DISTRICT))
        .one(state.db.conn())
        .await?;
    if loaded.is_none() {
        load(&state).await.context("loading the demo city failed")?;
        println!("Demo city loaded.");
    } else {
        println!("The demo city is already loaded.");
    }
    println!(
        "\nLog in (server on {bind}):\n  platform admin:  POST /api/v1/auth/password-login {{\"username\":\"admin\",\"password\":\"{ADMIN_PASSWORD}\"}}\n  community staff: POST /api/v1/auth/wechat-login {{\"code\":\"mock:staff\"}}   (光明社区)\n  residents:       mock:zhangsan (owner, approved), mock:lisi (tenant, approved), mock:wangwu (pending)\n  anyone else:     mock:<any-name> logs in as a new resident",
        bind = settings.bind
    );
    Ok(())
}

async fn load(state: &AppState) -> anyhow::Result<()> {
    let err = |e: crate::error::ApiError| anyhow::anyhow!("{e}");
    let now = state.clock.now();
    let admin_id = login::create_admin(
        &state.db,
        &state.cache,
        &state.clock,
        "admin",
        ADMIN_PASSWORD,
    )
    .await
    .map_err(err)?;
    let admin = load_user(state.db.conn(), admin_id)
        .await
        .map_err(err)?
        .context("admin")?;

    let district = district_service::create_district(
        &state.db,
        &admin,
        now,
        dto(json!({ "name": DISTRICT }))?,
    )
    .await
    .map_err(err)?;
    let mut community_ids = vec![];
    let streets = [
        (
            "新华西路街道",
            vec![
                ("光明社区", 40.8150, 111.6500),
                ("富强社区", 40.8210, 111.6580),
            ],
        ),
        ("海拉尔西路街道", vec![("仕奇社区", 40.8420, 111.6390)]),
    ];
    for (street_name, list) in streets {
        let street = district_service::create_street(
            &state.db,
            &admin,
            now,
            dto(json!({ "district_id": district.id, "name": street_name }))?,
        )
        .await
        .map_err(err)?;
        for (name, lat, lng) in list {
            let community = communities::create_community(
                &state.db,
                &state.cache,
                &admin,
                now,
                dto(json!({ "street_id": street.id, "name": name, "lat": lat, "lng": lng, "checkin_radius_m": 300,
                    "pickup_address": format!("{name}党群服务中心一楼"), "pickup_hours": "周一至周五 9:00-17:00" }))?,
            )
            .await
            .map_err(err)?;
            for (i, grid) in ["第一网格", "第二网格"].iter().enumerate() {
                let west = lng - 0.004 + 0.004 * i as f64;
                grids::create_grid(
                    &state.db,
                    &state.cache,
                    &admin,
                    now,
                    community.id,
                    dto(json!({ "name": grid, "boundary": square(lat - 0.002, west, 0.004) }))?,
                )
                .await
                .map_err(err)?;
            }
            community_ids.push((community.id, lat, lng));
        }
    }

    let (guangming, lat, lng) = community_ids[0];
    let staff = mock_user(state, "staff", "光明社区王书记").await?;
    let grant =
        dto(json!({ "user_id": staff.id(), "role": "community_staff", "scope_id": guangming }))?;
    crate::roles::service::create(&state.db, &state.cache, &admin, state.clock.now(), grant)
        .await
        .map_err(err)?;
    let staff = load_user(state.db.conn(), staff.id())
        .await
        .map_err(err)?
        .context("staff")?;

    let residents_list = [
        ("zhangsan", "张三", "owner", Some(89.5), true),
        ("lisi", "李四", "tenant", None, true),
        ("wangwu", "王五", "owner", Some(120.0), false),
    ];
    for (i, (name, nickname, relation, area, approve)) in residents_list.into_iter().enumerate() {
        let user = mock_user(state, name, nickname).await?;
        let mut body = json!({
            "community_id": guangming, "building": format!("{}栋", i + 1), "unit": "1单元",
            "room": format!("{}01", i + 2), "relation": relation,
            "lat": lat - 0.001, "lng": lng - 0.002,
        });
        if let Some(area) = area {
            body["floor_area_m2"] = json!(area);
        }
        let submit: SubmitResidence = dto(body)?;
        let new = submit.into_new().map_err(err)?;
        let residence = applications::submit(&state.db, &user, state.clock.now(), new)
            .await
            .map_err(err)?;
        if approve {
            review::approve(
                &state.db,
                &staff,
                state.clock.now(),
                residence.id,
                dto(json!({}))?,
            )
            .await
            .map_err(err)?;
        }
    }
    Ok(())
}
