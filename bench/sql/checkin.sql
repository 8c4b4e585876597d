-- One POST /api/v1/checkins, statement for statement, in the order the API sends them
-- (api/src/volunteers/checkins.rs `check_in`, api/src/points/ledger.rs `award`). Re-capture
-- them after changing that code:
--   cargo run --release -p linli-bench -- --flow checkin --clients 2 --users-per-client 2 \
--     --communities 2 --capture-statements /var/log/postgresql/postgresql-15-main.log
-- The column lists, RETURNING lists, ON CONFLICT targets and filters are sea-orm's, copied from
-- that capture. Values the server binds as parameters are pgbench variables or literals here.
-- Differences from the server, all small:
-- - the local day is not today: each transaction takes a day of its own, 2000-01-01 plus a
--   per-client counter (plus 1,000,000 days in the measured run, so it never meets the
--   warm-up's), because pgbench cannot pick a (volunteer, community) pair it has not used
--   yet. Every check-in still writes one new key into ux_checkins_user_community_day; the
--   API's keys share one day, the script's are spread over many.
-- - timestamps are now() instead of bound values; the cap sums' bounds (the day's and the
--   month's start in Asia/Shanghai) and the month of the aggregate are bound as the server
--   binds them, computed once by the benchmark.
-- - the caller is loaded on every transaction, as the server does under this load: each
--   check-in awards points, which bumps the volunteer's generation (`points::changed`), so
--   the next request of the same volunteer misses the caller cache.
--
-- Set by redemption-bench with -D: first_user, per_client, community_first, community_last,
-- lat, lng, points, day_start, month_start, month, reason, source (`award:checkin`: pgbench
-- would read the colon in a literal as a variable), session_offset (each volunteer
-- logged in once, in order: session id = user id + offset), seq (0) and pass (0 warm-up, 1
-- measured). pgbench client c uses volunteers first_user + c*per_client .. + per_client - 1,
-- as HTTP client c does, so no two clients share a wallet.
\set uid :first_user + :client_id * :per_client + random(0, :per_client - 1)
\set cid random(:community_first, :community_last)
\set seq :seq + 1
\set day :pass * 1000000 + :seq
\set minus_points -1 * :points
\set sid :uid + :session_offset

-- api/src/auth/extractor.rs `load_caller` (the AuthUser extractor, through auth/callers.rs),
-- on the pool: the user, the roles and the session, one query.
SELECT "users"."id" AS "A_id", "users"."openid" AS "A_openid", "users"."unionid" AS "A_unionid", "users"."session_key" AS "A_session_key", "users"."username" AS "A_username", "users"."password_hash" AS "A_password_hash", "users"."nickname" AS "A_nickname", "users"."avatar_url" AS "A_avatar_url", "users"."phone" AS "A_phone", "users"."token_version" AS "A_token_version", "users"."disabled" AS "A_disabled", "users"."created_at" AS "A_created_at", "users"."updated_at" AS "A_updated_at", "role_assignments"."id" AS "B_id", "role_assignments"."user_id" AS "B_user_id", "role_assignments"."role" AS "B_role", "role_assignments"."scope_id" AS "B_scope_id", "role_assignments"."created_by" AS "B_created_by", "role_assignments"."created_at" AS "B_created_at" FROM "users" LEFT JOIN "role_assignments" ON "users"."id" = "role_assignments"."user_id" INNER JOIN "sessions" ON "users"."id" = "sessions"."user_id" WHERE "users"."id" = :uid AND "sessions"."id" = :sid AND "sessions"."revoked_at" IS NULL AND "users"."token_version" = 0 AND "users"."disabled" = false;

BEGIN;
-- volunteers/checkins.rs `check_in`, in the transaction: the community (geofence, code rule) ...
SELECT "communities"."id", "communities"."street_id", "communities"."name", "communities"."lat", "communities"."lng", "communities"."checkin_radius_m", "communities"."boundary", "communities"."pickup_address", "communities"."pickup_hours", "communities"."supermarket_policy", "communities"."checkin_requires_code", "communities"."created_at", "communities"."updated_at" FROM "communities" WHERE "communities"."id" = :cid LIMIT 1;
-- ... and volunteers/registrations.rs `approved_kinds` (`require_volunteer`).
SELECT "volunteer_registrations"."kind" FROM "volunteer_registrations" WHERE "volunteer_registrations"."user_id" = :uid AND "volunteer_registrations"."community_id" = :cid AND "volunteer_registrations"."status" = 'approved';
-- points/ledger.rs `lock_wallet` from `check_in`: one volunteer's check-ins are decided one at
-- a time (the wallet made if missing and locked, one statement).
INSERT INTO "points_wallets" ("user_id", "balance", "lifetime_earned", "updated_at") VALUES (:uid, 0, 0, now()) ON CONFLICT ("user_id") DO UPDATE SET "updated_at" = "points_wallets"."updated_at";
-- `implied_speed_kmh`: the volunteer's latest check-in that still has its coordinates.
SELECT "checkins"."id", "checkins"."user_id", "checkins"."community_id", "checkins"."local_day", "checkins"."evidence", "checkins"."distance_m", "checkins"."accuracy_m", "checkins"."status", "checkins"."speed_kmh", "checkins"."points_awarded", "checkins"."lat", "checkins"."lng", "checkins"."reviewed_by", "checkins"."reviewed_at", "checkins"."created_at" FROM "checkins" WHERE "checkins"."user_id" = :uid AND "checkins"."lat" IS NOT NULL AND "checkins"."status" <> 'rejected' AND "checkins"."created_at" >= now() - interval '7 days' ORDER BY "checkins"."id" DESC LIMIT 1;
-- `check_in`: the check-in.
INSERT INTO "checkins" ("user_id", "community_id", "local_day", "evidence", "distance_m", "accuracy_m", "status", "speed_kmh", "points_awarded", "lat", "lng", "reviewed_by", "reviewed_at", "created_at") VALUES (:uid, :cid, to_char(date '2000-01-01' + :day::int, 'YYYY-MM-DD'), 'location', 0, NULL, 'accepted', NULL, 0, :lat, :lng, NULL, NULL, now()) RETURNING "id", "user_id", "community_id", "local_day", "evidence", "distance_m", "accuracy_m", "status", "speed_kmh", "points_awarded", "lat", "lng", "reviewed_by", "reviewed_at", "created_at" \gset checkin_
-- points/ledger.rs `award` (from checkins.rs `credit`): the community's rule ...
SELECT "points_rules"."id", "points_rules"."community_id", "points_rules"."action", "points_rules"."points", "points_rules"."daily_cap", "points_rules"."monthly_cap", "points_rules"."enabled", "points_rules"."updated_by", "points_rules"."updated_at" FROM "points_rules" WHERE "points_rules"."community_id" = :cid AND "points_rules"."action" = 'checkin' LIMIT 1;
-- ... `lock_wallet` again (made if missing, locked: already held by this transaction) ...
INSERT INTO "points_wallets" ("user_id", "balance", "lifetime_earned", "updated_at") VALUES (:uid, 0, 0, now()) ON CONFLICT ("user_id") DO UPDATE SET "updated_at" = "points_wallets"."updated_at";
-- ... `find_entry`: was this check-in paid before ...
SELECT "points_entries"."id", "points_entries"."user_id", "points_entries"."community_id", "points_entries"."amount", "points_entries"."balance_after", "points_entries"."kind", "points_entries"."reason", "points_entries"."source", "points_entries"."idempotency_key", "points_entries"."ref_type", "points_entries"."ref_id", "points_entries"."actor_id", "points_entries"."created_at" FROM "points_entries" WHERE "points_entries"."source" = :source AND "points_entries"."idempotency_key" = 'checkin:' || :checkin_id::text LIMIT 1;
-- ... `earned_since` for the daily cap, then for the monthly cap ...
SELECT CAST(SUM("amount") AS bigint) AS "total" FROM "points_entries" WHERE "points_entries"."user_id" = :uid AND "points_entries"."community_id" = :cid AND "points_entries"."source" = :source AND "points_entries"."created_at" >= :day_start LIMIT 1;
SELECT CAST(SUM("amount") AS bigint) AS "total" FROM "points_entries" WHERE "points_entries"."user_id" = :uid AND "points_entries"."community_id" = :cid AND "points_entries"."source" = :source AND "points_entries"."created_at" >= :month_start LIMIT 1;
-- ... `apply`: the wallet made if missing (a positive change), credited ...
INSERT INTO "points_wallets" ("user_id", "balance", "lifetime_earned", "updated_at") VALUES (:uid, 0, 0, now()) ON CONFLICT ("user_id") DO NOTHING;
UPDATE "points_wallets" SET "balance" = "balance" + :points, "lifetime_earned" = "lifetime_earned" + :points, "updated_at" = now() WHERE "points_wallets"."user_id" = :uid AND "points_wallets"."balance" >= :minus_points RETURNING "id", "user_id", "balance", "lifetime_earned", "updated_at" \gset wallet_
-- ... the entry with the balance after it and the check-in it pays for ...
INSERT INTO "points_entries" ("user_id", "community_id", "amount", "balance_after", "kind", "reason", "source", "idempotency_key", "ref_type", "ref_id", "actor_id", "created_at") VALUES (:uid, :cid, :points, :wallet_balance, 'earn', :reason, :source, 'checkin:' || :checkin_id::text, 'checkin', :checkin_id, NULL, now()) RETURNING "id", "user_id", "community_id", "amount", "balance_after", "kind", "reason", "source", "idempotency_key", "ref_type", "ref_id", "actor_id", "created_at";
-- ... and points/aggregates.rs `record`: the month's earnings of the user in the community.
INSERT INTO "points_monthly" ("user_id", "community_id", "month", "earned", "spent") VALUES (:uid, :cid, :month, :points, 0) ON CONFLICT ("user_id", "month", "community_id") DO UPDATE SET "earned" = "points_monthly"."earned" + "excluded"."earned", "spent" = "points_monthly"."spent" + "excluded"."spent";
-- checkins.rs `credit`: the points on the check-in.
UPDATE "checkins" SET "points_awarded" = :points WHERE "checkins"."id" = :checkin_id;
COMMIT;
