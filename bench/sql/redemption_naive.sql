-- The statements of bench/sql/redemption.sql in the "naive order": the goods row is
-- updated first in the transaction, then the rest. On one hot item this holds the goods
-- row lock the longest; the API updates the goods last. Everything else (variables,
-- values, comments) is as in redemption.sql; keep the two in step.
--
-- Set by redemption-bench with -D: first_user, per_client, goods_first, goods_last,
-- community, price, and the texts the server binds: reason (the entry's) and body (the
-- answer stored with the key, as long as the API's).
\set uid :first_user + :client_id * :per_client + random(0, :per_client - 1)
\set gid random(:goods_first, :goods_last)
\set amount -1 * :price
\set key random(1, 9223372036854775806)

-- api/src/auth/extractor.rs `load_caller` (the AuthUser extractor), on the pool: the user
-- with the roles the user holds now, one query.
SELECT "users"."id" AS "A_id", "users"."openid" AS "A_openid", "users"."unionid" AS "A_unionid", "users"."session_key" AS "A_session_key", "users"."username" AS "A_username", "users"."password_hash" AS "A_password_hash", "users"."nickname" AS "A_nickname", "users"."avatar_url" AS "A_avatar_url", "users"."phone" AS "A_phone", "users"."token_version" AS "A_token_version", "users"."disabled" AS "A_disabled", "users"."created_at" AS "A_created_at", "users"."updated_at" AS "A_updated_at", "role_assignments"."id" AS "B_id", "role_assignments"."user_id" AS "B_user_id", "role_assignments"."role" AS "B_role", "role_assignments"."scope_id" AS "B_scope_id", "role_assignments"."created_by" AS "B_created_by", "role_assignments"."created_at" AS "B_created_at" FROM "users" LEFT JOIN "role_assignments" ON "users"."id" = "role_assignments"."user_id" WHERE "users"."id" = :uid;

-- api/src/idempotency.rs `Idempotent::claim`: one autocommitted statement claims the key
-- (the server's key is a UUID; request_hash is the SHA-256 of the body).
INSERT INTO "idempotency_keys" ("user_id", "scope", "key", "request_hash", "status", "response_status", "response_body", "created_at", "updated_at") VALUES (:uid, 'redemption', 'pgbench-' || :key::text, '342bc71deb3daaa2a8495d5b67a52108e7e81526b2b5d74c2acb903f90eee88d', 'running', NULL, NULL, now(), now()) ON CONFLICT ("user_id", "scope", "key") DO NOTHING RETURNING "id", "user_id", "scope", "key", "request_hash", "status", "response_status", "response_body", "created_at", "updated_at" \gset claim_

BEGIN;
-- api/src/supermarket/redemptions.rs `create`: the goods, read in the transaction.
SELECT "goods"."id", "goods"."community_id", "goods"."name", "goods"."description", "goods"."image_url", "goods"."category", "goods"."points_price", "goods"."stock", "goods"."initial_stock", "goods"."total_stocked", "goods"."monthly_limit_per_user", "goods"."on_shelf", "goods"."created_at", "goods"."updated_at" FROM "goods" WHERE "goods"."id" = :gid LIMIT 1;
-- api/src/supermarket/eligibility.rs `check`: whom the community's supermarket serves (the
-- benchmark's shelves serve anyone, so no residence is read).
SELECT "communities"."supermarket_policy" FROM "communities" WHERE "communities"."id" = :community LIMIT 1;
-- NAIVE ORDER: redemptions.rs `take_stock` first, so the goods row stays locked through
-- every statement below until COMMIT.
UPDATE "goods" SET "stock" = "stock" - 1 WHERE "goods"."id" = :gid AND "goods"."stock" >= 1 AND "goods"."on_shelf" = true;
-- redemptions.rs `insert_with_code`: the redemption with a pickup code.
INSERT INTO "redemptions" ("user_id", "community_id", "goods_id", "quantity", "points", "code", "status", "expires_at", "created_at") VALUES (:uid, :community, :gid, 1, :price, lpad((nextval('bench_pickup_codes') % 1000000)::text, 6, '0'), 'pending', now() + interval '7 days', now()) ON CONFLICT DO NOTHING RETURNING "id", "user_id", "community_id", "goods_id", "quantity", "points", "code", "status", "expires_at", "created_at", "fulfilled_at", "fulfilled_by", "closed_at" \gset redemption_
-- api/src/points/ledger.rs `apply`: the wallet (the first lock), taken only if the balance
-- covers the price ...
UPDATE "points_wallets" SET "balance" = "balance" + :amount, "lifetime_earned" = "lifetime_earned" + 0, "updated_at" = now() WHERE "points_wallets"."user_id" = :uid AND "points_wallets"."balance" >= :price RETURNING "id", "user_id", "balance", "lifetime_earned", "updated_at" \gset wallet_
-- ... then the ledger entry with the balance after it and the redemption it paid for.
INSERT INTO "points_entries" ("user_id", "community_id", "amount", "balance_after", "kind", "reason", "source", "idempotency_key", "ref_type", "ref_id", "actor_id", "created_at") VALUES (:uid, :community, :amount, :wallet_balance, 'redeem', :reason, 'redemption', 'claim:' || :claim_id::text, 'redemption', :redemption_id, :uid, now()) RETURNING "id", "user_id", "community_id", "amount", "balance_after", "kind", "reason", "source", "idempotency_key", "ref_type", "ref_id", "actor_id", "created_at";
-- points/aggregates.rs `record`: the month's spending of the user in the community (the
-- passbook summary and the leaderboards read these rows, not the entries).
INSERT INTO "points_monthly" ("user_id", "community_id", "month", "earned", "spent") VALUES (:uid, :community, (now() AT TIME ZONE 'Asia/Shanghai')::date - (extract(day FROM now() AT TIME ZONE 'Asia/Shanghai')::int - 1), 0, :price) ON CONFLICT ("user_id", "month", "community_id") DO UPDATE SET "earned" = "points_monthly"."earned" + "excluded"."earned", "spent" = "points_monthly"."spent" + "excluded"."spent";
-- api/src/idempotency.rs `complete`: the answer stored for replays.
UPDATE "idempotency_keys" SET "status" = 'done', "response_status" = 201, "response_body" = :body, "updated_at" = now() WHERE "idempotency_keys"."id" = :claim_id;
COMMIT;
