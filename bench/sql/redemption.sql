-- One POST /api/v1/redemptions, statement for statement, in the order the API sends them
-- (api/src/supermarket/redemptions.rs `create`). Re-capture them after changing that code:
--   cargo run --release -p linli-bench -- --capture-statements /var/log/postgresql/postgresql-15-main.log
-- The column lists, RETURNING lists, ON CONFLICT targets and filters are sea-orm's, copied from
-- that capture. Values the server binds as parameters are pgbench variables or literals here.
-- Differences, all in pgbench's favour by a little: timestamps are now() instead of bound
-- values, and the pickup code comes from a sequence (no collision, so never the retry the
-- API makes on a taken code; pgbench cannot loop).
--
-- Set by redemption-bench with -D: first_user, per_client, goods_first, goods_last,
-- community, price, and the texts the server binds: reason (the entry's) and body (the
-- answer stored with the key, as long as the API's). pgbench client c uses residents first_user + c*per_client ..
-- + per_client - 1, as HTTP client c does, so no two clients share a wallet.
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
-- redemptions.rs `take_stock`, last: the goods row, only if enough remains on the shelf.
UPDATE "goods" SET "stock" = "stock" - 1 WHERE "goods"."id" = :gid AND "goods"."stock" >= 1 AND "goods"."on_shelf" = true;
COMMIT;
