//! A property test of points and the supermarket: random sequences of awards, adjustments,
//! redemptions, cancels, expiries, pickups, restocks and shelf changes run against the real
//! server and against a small in-memory model; after every step both must agree and the
//! ledger invariants must hold.

use std::time::Duration;

use api::points::ledger::{self, Award, AwardOutcome};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, Market, TestApp, User};

const USERS: usize = 3;
const AWARD: i64 = 40;
const START: i64 = 100;
const TTL: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone, Debug)]
enum Step {
    Award {
        user: usize,
    },
    Adjust {
        user: usize,
        delta: i64,
    },
    Redeem {
        user: usize,
        goods: usize,
        quantity: i64,
    },
    Cancel {
        pick: usize,
        by_owner: bool,
    },
    Expire,
    Verify {
        pick: usize,
    },
    Restock {
        goods: usize,
        quantity: i64,
    },
    Shelf {
        goods: usize,
        on: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let goods = 0..GOODS.len();
    prop_oneof![
        3 => (0..USERS).prop_map(|user| Step::Award { user }),
        2 => (0..USERS, prop_oneof![-60i64..=-1, 1i64..=60]).prop_map(|(user, delta)| Step::Adjust { user, delta }),
        6 => (0..USERS, goods.clone(), 1i64..=3).prop_map(|(user, goods, quantity)| Step::Redeem { user, goods, quantity }),
        2 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(pick, by_owner)| Step::Cancel { pick, by_owner }),
        1 => Just(Step::Expire),
        2 => any::<usize>().prop_map(|pick| Step::Verify { pick }),
        1 => (goods.clone(), 1i64..=3).prop_map(|(goods, quantity)| Step::Restock { goods, quantity }),
        1 => (goods, prop::bool::weighted(0.6)).prop_map(|(goods, on)| Step::Shelf { goods, on }),
    ]
}

/// Price, initial stock and monthly limit of the goods on the shelf.
const GOODS: [(i64, i64, Option<i64>); 3] = [(10, 2, None), (15, 3, Some(2)), (5, 4, Some(3))];

#[derive(Clone, Debug)]
struct ModelGoods {
    id: i64,
    price: i64,
    stock: i64,
    limit: Option<i64>,
    on_shelf: bool,
}

#[derive(Clone, Debug)]
struct ModelRedemption {
    id: i64,
    user: usize,
    goods: usize,
    quantity: i64,
    points: i64,
    code: String,
    status: &'static str,
    created_at: DateTime<Utc>,
}

/// What the server should hold.
#[derive(Debug, Default)]
struct Model {
    balances: Vec<i64>,
    goods: Vec<ModelGoods>,
    redemptions: Vec<ModelRedemption>,
}

impl Model {
    /// The first refusal a redemption meets, in the server's order of checks.
    fn refusal(
        &self,
        user: usize,
        goods: usize,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> Option<&'static str> {
        let g = &self.goods[goods];
        if !g.on_shelf {
            return Some("goods_unavailable");
        }
        if self.balances[user] < g.price * quantity {
            return Some("insufficient_points");
        }
        if let Some(limit) = g.limit {
            let since = api::clock::month_start(now);
            let taken: i64 = self
                .redemptions
                .iter()
                .filter(|r| r.user == user && r.goods == goods && r.created_at >= since)
                .filter(|r| r.status == "pending" || r.status == "fulfilled")
                .map(|r| r.quantity)
                .sum();
            if taken + quantity > limit {
                return Some("limit_reached");
            }
        }
        (g.stock < quantity).then_some("out_of_stock")
    }

    /// Gives a redemption's points and stock back.
    fn release(&mut self, index: usize, status: &'static str) {
        let r = &mut self.redemptions[index];
        r.status = status;
        self.balances[r.user] += r.points;
        self.goods[r.goods].stock += r.quantity;
    }
}

struct World {
    app: TestApp,
    market: Market,
    users: Vec<User>,
}

impl World {
    async fn relogin(&mut self) {
        self.market.staff = self.app.login("market-staff").await;
        for (i, user) in self.users.iter_mut().enumerate() {
            *user = self.app.login(&format!("member{i}")).await;
        }
    }
}

async fn setup() -> (World, Model) {
    let app = TestApp::spawn_with(|s| s.sweep_interval = Duration::ZERO).await;
    let market = app.market().await;
    let rules = json!({ "rules": [{ "action": "volunteer", "points": AWARD }] });
    let (status, body) = app
        .put(
            &format!("/api/v1/communities/{}/points-rules", market.community),
            Some(&market.staff.token),
            rules,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut users = vec![];
    for i in 0..USERS {
        let user = app.login(&format!("member{i}")).await;
        app.give_points(&market.staff, market.community, &user, START)
            .await;
        users.push(user);
    }
    let mut model = Model {
        balances: vec![START; USERS],
        ..Model::default()
    };
    for (price, stock, limit) in GOODS {
        let id = app
            .put_goods(&market.staff, market.community, price, stock, limit)
            .await;
        model.goods.push(ModelGoods {
            id,
            price,
            stock,
            limit,
            on_shelf: true,
        });
    }
    (World { app, market, users }, model)
}

fn expect(answer: &(StatusCode, Value), status: StatusCode, code: Option<&str>, step: &Step) {
    assert_eq!(answer.0, status, "{step:?}: {}", answer.1);
    if let Some(code) = code {
        assert_eq!(answer.1["code"], code, "{step:?}");
    }
}

async fn apply(w: &mut World, model: &mut Model, step: &Step, n: usize) {
    let app = &w.app;
    let staff = &w.market.staff;
    let community = w.market.community;
    match *step {
        Step::Award { user } => {
            let txn = app.state.db.begin_write().await.unwrap();
            let key = format!("model-{n}");
            let award = Award {
                user_id: w.users[user].id,
                community_id: community,
                action: "volunteer",
                reference: None,
                idempotency_key: &key,
                amount: None,
            };
            let outcome = ledger::award(&txn, app.state.clock.now(), award)
                .await
                .unwrap();
            txn.commit().await.unwrap();
            assert!(matches!(outcome, AwardOutcome::Awarded(_)), "{outcome:?}");
            model.balances[user] += AWARD;
        }
        Step::Adjust { user, delta } => {
            let path = format!("/api/v1/communities/{community}/points/adjustments");
            let body = json!({ "user_id": w.users[user].id, "delta": delta, "reason": "模型调整" });
            let (status, text) = app
                .post_with_key(&path, &staff.token, &format!("adjust-{n}"), body)
                .await;
            let answer = (status, serde_json::from_str(&text).unwrap());
            if model.balances[user] + delta < 0 {
                expect(
                    &answer,
                    StatusCode::CONFLICT,
                    Some("insufficient_points"),
                    step,
                );
            } else {
                expect(&answer, StatusCode::CREATED, None, step);
                model.balances[user] += delta;
            }
        }
        Step::Redeem {
            user,
            goods,
            quantity,
        } => {
            let refusal = model.refusal(user, goods, quantity, app.state.clock.now());
            let answer = app
                .redeem(&w.users[user], model.goods[goods].id, quantity)
                .await;
            if let Some(code) = refusal {
                expect(&answer, StatusCode::CONFLICT, Some(code), step);
                return;
            }
            expect(&answer, StatusCode::CREATED, None, step);
            let g = &mut model.goods[goods];
            g.stock -= quantity;
            model.balances[user] -= g.price * quantity;
            let body = answer.1;
            model.redemptions.push(ModelRedemption {
                id: body["id"].as_i64().unwrap(),
                user,
                goods,
                quantity,
                points: g.price * quantity,
                code: body["code"].as_str().unwrap().to_owned(),
                status: "pending",
                created_at: body["created_at"].as_str().unwrap().parse().unwrap(),
            });
        }
        Step::Cancel { pick, by_owner } => {
            if model.redemptions.is_empty() {
                return;
            }
            let index = pick % model.redemptions.len();
            let r = &model.redemptions[index];
            let caller = if by_owner {
                r.user
            } else {
                (r.user + 1) % USERS
            };
            let path = format!("/api/v1/redemptions/{}/cancel", r.id);
            let answer = app
                .post(&path, Some(&w.users[caller].token), json!({}))
                .await;
            if !by_owner {
                expect(&answer, StatusCode::NOT_FOUND, Some("not_found"), step);
            } else if r.status == "pending" {
                expect(&answer, StatusCode::OK, None, step);
                model.release(index, "cancelled");
            } else {
                expect(
                    &answer,
                    StatusCode::CONFLICT,
                    Some("redemption_not_pending"),
                    step,
                );
            }
        }
        Step::Expire => {
            w.app.advance(TTL + Duration::from_secs(1));
            let due: Vec<usize> = (0..model.redemptions.len())
                .filter(|&i| model.redemptions[i].status == "pending")
                .collect();
            let swept = api::supermarket::sweeper::sweep_once(&w.app.state)
                .await
                .unwrap();
            assert_eq!(swept, due.len() as u64, "{step:?}");
            for i in due {
                model.release(i, "expired");
            }
            // Access tokens live 15 minutes.
            w.relogin().await;
        }
        Step::Verify { pick } => {
            if model.redemptions.is_empty() {
                return;
            }
            let code = model.redemptions[pick % model.redemptions.len()]
                .code
                .clone();
            // The pending holder of the code, else its newest holder.
            let target = model
                .redemptions
                .iter()
                .position(|r| r.code == code && r.status == "pending")
                .or_else(|| model.redemptions.iter().rposition(|r| r.code == code))
                .unwrap();
            let path = format!("/api/v1/communities/{community}/redemptions/verify");
            let answer = app
                .post(&path, Some(&staff.token), json!({ "code": code }))
                .await;
            match model.redemptions[target].status {
                "pending" => {
                    expect(&answer, StatusCode::OK, None, step);
                    assert_eq!(answer.1["id"], model.redemptions[target].id);
                    model.redemptions[target].status = "fulfilled";
                }
                "fulfilled" => expect(
                    &answer,
                    StatusCode::CONFLICT,
                    Some("already_fulfilled"),
                    step,
                ),
                "cancelled" => expect(
                    &answer,
                    StatusCode::CONFLICT,
                    Some("redemption_cancelled"),
                    step,
                ),
                _ => expect(
                    &answer,
                    StatusCode::CONFLICT,
                    Some("redemption_expired"),
                    step,
                ),
            }
        }
        Step::Restock { goods, quantity } => {
            let path = format!("/api/v1/goods/{}/restock", model.goods[goods].id);
            let answer = app
                .post(
                    &path,
                    Some(&staff.token),
                    json!({ "quantity": quantity, "note": "模型补货" }),
                )
                .await;
            expect(&answer, StatusCode::OK, None, step);
            model.goods[goods].stock += quantity;
        }
        Step::Shelf { goods, on } => {
            let path = format!("/api/v1/goods/{}", model.goods[goods].id);
            let answer = app
                .patch(&path, Some(&staff.token), json!({ "on_shelf": on }))
                .await;
            expect(&answer, StatusCode::OK, None, step);
            model.goods[goods].on_shelf = on;
        }
    }
}

/// The server holds what the model holds.
async fn agree(w: &World, model: &Model, step: &Step) {
    for (i, user) in w.users.iter().enumerate() {
        assert_eq!(
            w.app.balance(user.id).await,
            model.balances[i],
            "balance of member{i} after {step:?}"
        );
    }
    for g in &model.goods {
        assert_eq!(
            w.app.stock(g.id).await,
            g.stock,
            "stock of goods {} after {step:?}",
            g.id
        );
    }
    let rows = w
        .app
        .rows("SELECT id, status FROM redemptions ORDER BY id")
        .await;
    let statuses: Vec<(i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "status").unwrap(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = model
        .redemptions
        .iter()
        .map(|r| (r.id, r.status.to_owned()))
        .collect();
    assert_eq!(statuses, expected, "redemptions after {step:?}");
    assert_ledger_invariants(&w.app).await;
}

async fn run(steps: Vec<Step>) {
    let (mut world, mut model) = setup().await;
    for (n, step) in steps.iter().enumerate() {
        apply(&mut world, &mut model, step, n).await;
        agree(&world, &model, step).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn points_and_the_supermarket_follow_the_model(steps in prop::collection::vec(step(), 25)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(steps));
    }
}
