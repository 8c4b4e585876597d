//! The set-based SQL of the city generator. Every random value is a slice of
//! `md5(seed:stream:i)`, so the same seed and sizes give the same rows (times are relative to
//! the hour the generation started). Placeholders such as `{seed}` are filled by `Sizes::render`.

/// Helpers for the generation, dropped at its end: `bench_city_u(h, n)` is the `n`-th 32-bit
/// slice (1..=4) of the md5 hex `h` as a number in [0, 1).
pub const FUNCTIONS: &str = "
CREATE OR REPLACE FUNCTION bench_city_u(h text, n int) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT ('x' || substr(h, 8 * n - 7, 8))::bit(32)::bigint / 4294967296.0 $$;
CREATE OR REPLACE FUNCTION bench_city_h(seed bigint, stream text, i bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT md5(seed::text || ':' || stream || ':' || i::text) $$;
";

/// Drops the helpers and the staging tables.
pub const CLEANUP: &str = "
DROP TABLE IF EXISTS bench_city_members;
DROP TABLE IF EXISTS bench_city_steps;
DROP FUNCTION IF EXISTS bench_city_u(text, int);
DROP FUNCTION IF EXISTS bench_city_h(bigint, text, bigint);
";

/// Four cities as districts, ten streets each.
pub const REGIONS: &str = "
INSERT INTO districts (id, name, created_at)
SELECT d, (ARRAY['上海市','北京市','杭州市','南京市'])[d] || '压测区', {now}
FROM generate_series(1, 4) d;
INSERT INTO streets (id, district_id, name, created_at)
SELECT s, (s - 1) / 10 + 1, '压测街道' || s, {now}
FROM generate_series(1, 40) s;
";

/// Communities spread over ±15 km around their city's centre, ten per street.
pub const COMMUNITIES: &str = "
INSERT INTO communities (id, street_id, name, lat, lng, checkin_radius_m, created_at, updated_at)
SELECT c, (c - 1) % 40 + 1, '压测社区' || c,
       (ARRAY[31.2304, 39.9042, 30.2741, 32.0603])[((c - 1) % 40) / 10 + 1]
         + (bench_city_u(h, 1) - 0.5) * 0.27,
       (ARRAY[121.4737, 116.4074, 120.1551, 118.7969])[((c - 1) % 40) / 10 + 1]
         + (bench_city_u(h, 2) - 0.5) * 0.32,
       300, {now}, {now}
FROM generate_series(1, {communities}) c, LATERAL (SELECT bench_city_h({seed}, 'c', c) h) r;
";

/// 15 grids per community: a 5 × 3 raster of the community's 1 km × 1 km box.
pub const GRIDS: &str = "
INSERT INTO grids (id, community_id, name, boundary, min_lat, max_lat, min_lng, max_lng,
                   created_at, updated_at)
SELECT (c.id - 1) * 15 + g, c.id, '第' || g || '网格',
       format('{\"type\":\"Polygon\",\"coordinates\":[[[%s,%s],[%s,%s],[%s,%s],[%s,%s],[%s,%s]]]}',
              x0, y0, x1, y0, x1, y1, x0, y1, x0, y0),
       y0, y1, x0, x1, {now}, {now}
FROM communities c, generate_series(1, 15) g,
     LATERAL (SELECT round((c.lat - 0.0045 + ((g - 1) / 5) * 0.003)::numeric, 6)::float8 y0,
                     round((c.lat - 0.0045 + ((g - 1) / 5 + 1) * 0.003)::numeric, 6)::float8 y1,
                     round((c.lng - 0.0053 + ((g - 1) % 5) * 0.00212)::numeric, 6)::float8 x0,
                     round((c.lng - 0.0053 + ((g - 1) % 5 + 1) * 0.00212)::numeric, 6)::float8 x1) b
WHERE c.id <= {communities};
";

/// Users whose `openid` is what mock WeChat derives from `mock:city-<id>`, so any of them can
/// log in through the API.
pub const USERS: &str = "
INSERT INTO users (id, openid, nickname, token_version, disabled, created_at, updated_at)
SELECT i, 'mock_' || left(encode(sha256(convert_to('linli-mock:city-' || i, 'UTF8')), 'hex'), 24),
       '居民' || i, 0, false, t, t
FROM generate_series(1, {users}) i,
     LATERAL (SELECT {now} - interval '800 days' + bench_city_u(bench_city_h({seed}, 'u', i), 1)
                     * interval '60 days' t) r;
";

/// Who lives where: community sizes skewed (community 1 the largest, about 3× the mean),
/// the heavy user (id 1) in community 1; `k` numbers the residents of a community.
pub const MEMBERS: &str = "
CREATE UNLOGGED TABLE bench_city_members AS
SELECT user_id, community_id,
       (community_id - 1) * 15 + 1 + (k % 15) AS grid_id, k,
       (ARRAY['owner','tenant','family'])[1 + floor(r3 * 3)::int] AS relation
FROM (
  SELECT user_id, community_id, r3,
         row_number() OVER (PARTITION BY community_id ORDER BY user_id) - 1 AS k
  FROM (
    SELECT i AS user_id,
           CASE WHEN i = 1 THEN 1
                ELSE least({communities}, 1 + floor({communities} * power(bench_city_u(h, 1), 1.25))::int)
           END AS community_id,
           bench_city_u(h, 3) AS r3
    FROM generate_series(1, {users}) i, LATERAL (SELECT bench_city_h({seed}, 'm', i) h) r
  ) a
) b;
CREATE UNIQUE INDEX ON bench_city_members (user_id);
ANALYZE bench_city_members;
";

/// One household per resident (building, unit, room derived from `k`, so unique) in its
/// grid, and the approved residence that ties the user to it.
pub const HOUSEHOLDS: &str = "
INSERT INTO households (id, community_id, building, unit, room, grid_id, created_at)
SELECT user_id, community_id, (k / 200 + 1) || '栋', ((k % 200) / 50 + 1) || '单元',
       (k % 50 + 101)::text, grid_id, {now} - interval '700 days'
FROM bench_city_members;
INSERT INTO residences (id, user_id, community_id, building, unit, room, relation,
                        suggested_grid_id, status, household_id, reviewed_at, created_at)
SELECT user_id, user_id, community_id, (k / 200 + 1) || '栋', ((k % 200) / 50 + 1) || '单元',
       (k % 50 + 101)::text, relation, grid_id, 'approved', user_id,
       {now} - interval '700 days', {now} - interval '701 days'
FROM bench_city_members;
";

/// The ledger's entries as units of two, so that every prefix of a user's history keeps a
/// non-negative balance: earn+earn, earn+redeem (at most the earning), earn+expire (all of
/// it), adjust+earn, earn+negative adjust (at most the earning). The second entry comes
/// 1 s to 7 days after the first; units spread over the past two years; 5% happen in
/// another community. Units 1..={heavy_units} belong to the heavy user (id 1).
pub const STEPS: &str = "
CREATE UNLOGGED TABLE bench_city_steps AS
WITH u AS (
  SELECT u, bench_city_h({seed}, 'a', u) h1, bench_city_h({seed}, 'b', u) h2
  FROM generate_series(1, {units}) u
  OFFSET 0 -- a fence: each md5 once per unit, not once per use
), v AS (
  SELECT u,
         CASE WHEN u <= {heavy_units} THEN 1
              ELSE 2 + floor(bench_city_u(h1, 1) * ({users} - 1))::bigint END AS user_id,
         bench_city_u(h1, 2) AS kr,
         {now} - interval '1 minute' - bench_city_u(h1, 3) * interval '730 days' AS t1,
         bench_city_u(h1, 4) AS gr,
         1 + floor(bench_city_u(h2, 1) * 50)::bigint AS a,
         1 + floor(bench_city_u(h2, 2) * 50)::bigint AS b,
         bench_city_u(h2, 3) AS er,
         1 + floor(bench_city_u(h2, 4) * {communities})::bigint AS other
  FROM u
  OFFSET 0
), w AS (
  SELECT v.*, CASE WHEN er < 0.05 THEN other ELSE m.community_id END AS community_id,
         CASE WHEN kr < 0.55 THEN 'ee' WHEN kr < 0.80 THEN 'er' WHEN kr < 0.85 THEN 'ex'
              WHEN kr < 0.95 THEN 'ae' ELSE 'an' END AS shape,
         t1 + interval '1 second'
            + gr * least(interval '7 days', ({now} - t1) - interval '2 seconds') AS t2
  FROM v JOIN bench_city_members m USING (user_id)
)
SELECT u AS unit, s.step, user_id, community_id, s.kind, s.amount,
       CASE s.step WHEN 1 THEN t1 ELSE t2 END AS created_at
FROM w, LATERAL (VALUES
  (1::smallint, CASE WHEN shape = 'ae' THEN 'adjust' ELSE 'earn' END, a),
  (2::smallint,
   CASE shape WHEN 'er' THEN 'redeem' WHEN 'ex' THEN 'expire' WHEN 'an' THEN 'adjust' ELSE 'earn' END,
   CASE shape WHEN 'er' THEN -least(a, b) WHEN 'ex' THEN -a WHEN 'an' THEN -least(a, b) ELSE b END)
) AS s(step, kind, amount);
";

/// The entries: ids in time order, `balance_after` the running sum of the user's entries,
/// sources and keys as the API writes them (unique per source).
pub const ENTRIES: &str = "
INSERT INTO points_entries (id, user_id, community_id, amount, balance_after, kind, reason,
                            source, idempotency_key, ref_type, ref_id, actor_id, created_at)
SELECT row_number() OVER (ORDER BY created_at, user_id, unit, step),
       user_id, community_id, amount,
       sum(amount) OVER (PARTITION BY user_id ORDER BY created_at, unit, step
                         ROWS UNBOUNDED PRECEDING),
       kind,
       CASE kind WHEN 'earn' THEN CASE WHEN unit % 3 = 0 THEN '志愿服务奖励' ELSE '报到签到奖励' END
                 WHEN 'redeem' THEN '兑换压测商品×1' WHEN 'expire' THEN '积分过期'
                 ELSE '压测调整' END,
       CASE kind WHEN 'earn' THEN CASE WHEN unit % 3 = 0 THEN 'award:activity_hour' ELSE 'award:checkin' END
                 WHEN 'redeem' THEN 'redemption' WHEN 'expire' THEN 'expire'
                 ELSE 'adjust' END,
       'city:' || unit || ':' || step,
       NULL, NULL, NULL, created_at
FROM bench_city_steps;
";

/// Wallets as the ledger keeps them: the balance is the sum of the entries, lifetime the sum
/// of the earnings.
pub const WALLETS: &str = "
INSERT INTO points_wallets (user_id, balance, lifetime_earned, updated_at)
SELECT user_id, sum(amount), coalesce(sum(amount) FILTER (WHERE kind = 'earn'), 0), max(created_at)
FROM points_entries GROUP BY user_id;
";

/// `points_monthly` exactly as the migration `m20261204_000008_points_aggregates` backfills it.
pub const MONTHLY: &str = "
INSERT INTO points_monthly (user_id, community_id, month, earned, spent)
SELECT user_id, community_id,
       CAST(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai') AS DATE),
       CAST(SUM(CASE WHEN kind = 'earn' THEN amount ELSE 0 END) AS BIGINT),
       CAST(-SUM(CASE WHEN kind IN ('redeem', 'refund', 'expire') THEN amount ELSE 0 END) AS BIGINT)
FROM points_entries WHERE kind IN ('earn', 'redeem', 'refund', 'expire')
GROUP BY user_id, community_id, CAST(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai') AS DATE);
";

/// Tables whose ids the generator chose: their sequences continue after the largest id.
pub const SEQUENCED: &[&str] = &[
    "districts",
    "streets",
    "communities",
    "grids",
    "users",
    "households",
    "residences",
    "points_entries",
    "points_wallets",
    "points_monthly",
];

/// Tables filled in bulk: their foreign keys and secondary indexes are dropped for the load
/// and made again after it.
pub const BULK: &[&str] = &[
    "users",
    "households",
    "residences",
    "points_entries",
    "points_wallets",
    "points_monthly",
];
