//! The invariants checked after the points and supermarket tests: the ledger, its maintained
//! aggregates and the shelf add up.

use super::harness::TestApp;

/// The ledger and the shelf add up: every wallet balance is the sum of its user's entries and
/// never negative; every entry's `balance_after` is the running sum of its user's entries;
/// every redemption was paid by exactly one entry and, once cancelled or expired, refunded by
/// exactly one; and for every goods item stock + pending + fulfilled = initial stock +
/// restocks = total stocked; and the monthly aggregates and lifetime earnings equal the
/// entries (`assert_aggregate_invariants`).
pub async fn assert_ledger_invariants(app: &TestApp) {
    super::aggregate_invariants::assert_aggregate_invariants(app).await;
    let get = |row: &sea_orm::QueryResult, column: &str| row.try_get::<i64>("", column).unwrap();
    for row in app
        .rows(
            "SELECT w.user_id AS user_id, w.balance AS balance, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.user_id = w.user_id), 0) AS BIGINT) AS total \
             FROM points_wallets w",
        )
        .await
    {
        let (user, balance, total) = (get(&row, "user_id"), get(&row, "balance"), get(&row, "total"));
        assert_eq!(balance, total, "user {user}: the balance is not the sum of the entries");
        assert!(balance >= 0, "user {user}: negative balance {balance}");
    }
    let orphans = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries e WHERE NOT EXISTS (SELECT 1 FROM points_wallets w WHERE w.user_id = e.user_id)")
        .await;
    assert_eq!(orphans, 0, "entries without a wallet");
    let mut running = std::collections::HashMap::<i64, i64>::new();
    for row in app
        .rows("SELECT id, user_id, amount, balance_after FROM points_entries ORDER BY id")
        .await
    {
        let sum = running.entry(get(&row, "user_id")).or_default();
        *sum += get(&row, "amount");
        let after = get(&row, "balance_after");
        assert!(
            after >= 0,
            "entry {}: negative balance_after",
            get(&row, "id")
        );
        assert_eq!(
            after,
            *sum,
            "entry {}: balance_after is not the running sum",
            get(&row, "id")
        );
    }
    for row in app
        .rows(
            "SELECT g.id AS id, g.stock AS stock, g.initial_stock AS initial_stock, g.total_stocked AS total_stocked, \
             CAST(COALESCE((SELECT SUM(r.quantity) FROM redemptions r WHERE r.goods_id = g.id AND r.status IN ('pending', 'fulfilled')), 0) AS BIGINT) AS held, \
             CAST(COALESCE((SELECT SUM(s.quantity) FROM goods_restocks s WHERE s.goods_id = g.id), 0) AS BIGINT) AS restocked \
             FROM goods g",
        )
        .await
    {
        let id = get(&row, "id");
        let (stock, held) = (get(&row, "stock"), get(&row, "held"));
        let stocked = get(&row, "initial_stock") + get(&row, "restocked");
        assert!(stock >= 0, "goods {id}: negative stock");
        assert_eq!(stock + held, stocked, "goods {id}: stock + pending + fulfilled != initial + restocks");
        assert_eq!(stocked, get(&row, "total_stocked"), "goods {id}: total_stocked drifted");
    }
    for row in app
        .rows(
            "SELECT r.id AS id, r.status AS status, r.points AS points, \
             CAST(CASE WHEN r.fulfilled_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_fulfilled, \
             CAST(CASE WHEN r.closed_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_closed, \
             (SELECT COUNT(*) FROM points_entries e WHERE e.source = 'redemption' AND e.ref_type = 'redemption' AND e.ref_id = r.id) AS paid_n, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.source = 'redemption' AND e.ref_type = 'redemption' AND e.ref_id = r.id), 0) AS BIGINT) AS paid, \
             (SELECT COUNT(*) FROM points_entries e WHERE e.source = 'redemption_refund' AND e.ref_id = r.id) AS refund_n, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.source = 'redemption_refund' AND e.ref_id = r.id), 0) AS BIGINT) AS refunded \
             FROM redemptions r",
        )
        .await
    {
        let id = get(&row, "id");
        let status: String = row.try_get("", "status").unwrap();
        let points = get(&row, "points");
        assert_eq!((get(&row, "paid_n"), get(&row, "paid")), (1, -points), "redemption {id}: not paid exactly once");
        let closed = status == "cancelled" || status == "expired";
        let refund = if closed { (1, points) } else { (0, 0) };
        assert_eq!((get(&row, "refund_n"), get(&row, "refunded")), refund, "redemption {id} ({status}): refunds");
        assert_eq!(get(&row, "has_closed") == 1, closed, "redemption {id} ({status}): closed_at");
        assert_eq!(get(&row, "has_fulfilled") == 1, status == "fulfilled", "redemption {id} ({status}): fulfilled_at");
    }
    let payments = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption'")
        .await;
    assert_eq!(
        payments,
        app.count("redemptions").await,
        "a payment without its redemption"
    );
    let refunds = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption_refund'")
        .await;
    let closed = app
        .scalar("SELECT COUNT(*) AS n FROM redemptions WHERE status IN ('cancelled', 'expired')")
        .await;
    assert_eq!(refunds, closed, "refunds without a closed redemption");
}
