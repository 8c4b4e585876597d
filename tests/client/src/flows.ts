// The resident's and the staff's pages, end to end, against a server loaded with
// `linli seed-demo` (run by .ci/run). Every call is typed by the committed document.
import { randomUUID } from "node:crypto";
import { base, check, client, failed, login, ok, patchByPost, toast, type Schemas } from "./api.js";

async function main(): Promise<void> {
  // ---- Resident: log in, profile, homes, the map. ----
  const zs = await login("zhangsan");
  const resident = client(zs.access_token);
  const me = ok("GET /me", await resident.GET("/api/v1/me"));
  check(me.nickname === "张三", "the demo resident is 张三", me);
  const renamed = await patchByPost<Schemas["MeView"]>("/api/v1/me", zs.access_token, {
    nickname: "张三丰",
  });
  check(renamed.nickname === "张三丰", "PATCH /me by POST + override", renamed);

  // chooseAvatar gives a local file; wx.uploadFile sends it as multipart field `file`.
  const pixel = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  const withAvatar = ok(
    "avatar upload",
    await resident.POST("/api/v1/me/avatar", {
      body: { file: "avatar.png" },
      bodySerializer: () => {
        const form = new FormData();
        form.append("file", new Blob([pixel], { type: "image/png" }), "avatar.png");
        return form;
      },
    }),
  );
  check(withAvatar.avatar_url?.includes("/media/"), "the avatar is ours now", withAvatar);
  const picture = await fetch(new URL(withAvatar.avatar_url ?? "", base));
  check(picture.ok && picture.headers.get("cache-control")?.includes("immutable"), "the avatar is served, cached for good");

  const homes = ok("GET /me/residences", await resident.GET("/api/v1/me/residences"));
  const home = homes.items.find((r) => r.status === "approved");
  check(home, "张三 has an approved home", homes);
  const communityId = home.community_id;

  const near = ok(
    "communities near",
    await client().GET("/api/v1/communities", { params: { query: { lat: 40.816, lng: 111.651 } } }),
  );
  check(near.items[0]?.id === communityId, "the nearest community is 张三's", near);
  const grids = ok(
    "grids",
    await client().GET("/api/v1/communities/{id}/grids", { params: { path: { id: communityId } } }),
  );
  check(grids.items.length >= 1, "the community has grids", grids);

  // ---- Staff: the review queue with its badge count, approve, rules, credit. ----
  const staffTokens = await login("staff");
  const staff = client(staffTokens.access_token);
  const queue = ok(
    "pending residences",
    await staff.GET("/api/v1/communities/{id}/residences", {
      params: { path: { id: communityId }, query: { status: "pending", with_total: true } },
    }),
  );
  check(queue.total === queue.items.length && queue.items.length >= 1, "王五 waits, counted", queue);
  const pending = queue.items[0];
  check(pending, "a pending residence");
  ok(
    "approve",
    await staff.POST("/api/v1/residences/{id}/approve", { params: { path: { id: pending.id } }, body: {} }),
  );

  ok(
    "rules",
    await staff.PUT("/api/v1/communities/{id}/points-rules", {
      params: { path: { id: communityId } },
      body: { rules: [{ action: "activity_hour", points: 20, daily_cap: 80 }] },
    }),
  );
  const found = ok(
    "resident search",
    await staff.GET("/api/v1/communities/{id}/residents", {
      params: { path: { id: communityId }, query: { q: "张三" } },
    }),
  );
  const target = found.items.find((r) => r.user_id === me.id);
  check(target, "staff find 张三 by name", found);
  const credit = {
    params: { path: { id: communityId }, header: { "Idempotency-Key": randomUUID() } },
    body: { user_id: me.id, delta: 200, reason: "社区清洁志愿服务" },
  };
  const adjusted = ok("credit", await staff.POST("/api/v1/communities/{id}/points/adjustments", credit));
  const again = ok("credit retried", await staff.POST("/api/v1/communities/{id}/points/adjustments", credit));
  check(again.entry.id === adjusted.entry.id, "a retried credit is the same credit", [adjusted, again]);

  // ---- Supermarket: stock, shelf, redeem (retried), the pickup page, the desk. ----
  const goods = ok(
    "stock goods",
    await staff.POST("/api/v1/communities/{id}/goods", {
      params: { path: { id: communityId } },
      body: { name: "洗衣液", description: "2kg 装", category: "日用品", points_price: 50, stock: 10, monthly_limit_per_user: 2 },
    }),
  );
  const shelf = ok(
    "shelf",
    await resident.GET("/api/v1/communities/{id}/goods", {
      params: { path: { id: communityId }, query: { category: "日用品", q: "洗衣" } },
    }),
  );
  const onShelf = shelf.items.find((g) => g.id === goods.id);
  check(onShelf?.can_redeem === true && onShelf.remaining_for_me === 2, "the shelf says 张三 may take 2", shelf);
  const categories = ok(
    "categories",
    await resident.GET("/api/v1/communities/{id}/goods/categories", { params: { path: { id: communityId } } }),
  );
  check(categories.items.some((c) => c.category === "日用品"), "categories list 日用品", categories);

  const redeem = {
    params: { header: { "Idempotency-Key": randomUUID() } },
    body: { goods_id: goods.id, quantity: 1 },
  };
  const redemption = ok("redeem", await resident.POST("/api/v1/redemptions", redeem));
  const replay = ok("redeem retried", await resident.POST("/api/v1/redemptions", redeem));
  check(replay.id === redemption.id && redemption.code, "a retry is the same redemption", [redemption, replay]);
  const page = ok(
    "pickup page after a reload",
    await resident.GET("/api/v1/redemptions/{id}", { params: { path: { id: redemption.id } } }),
  );
  check(page.code === redemption.code && page.qr_payload && page.community_name, "the pickup page", page);

  const tooMany = failed(
    "over the monthly limit",
    409,
    await resident.POST("/api/v1/redemptions", {
      params: { header: { "Idempotency-Key": randomUUID() } },
      body: { goods_id: goods.id, quantity: 2 },
    }),
  );
  check(tooMany.code === "limit_reached", "a refusal the page can name", tooMany);
  console.log(`refusal shown as: ${toast(tooMany)}`);

  const desk = ok(
    "desk lookup",
    await staff.GET("/api/v1/communities/{id}/redemptions/lookup", {
      params: { path: { id: communityId }, query: { code: page.qr_payload ?? "" } },
    }),
  );
  check(desk.id === redemption.id && desk.status === "pending", "the desk sees the redemption unchanged", desk);
  const wrong = failed(
    "a wrong code",
    404,
    await staff.POST("/api/v1/communities/{id}/redemptions/verify", {
      params: { path: { id: communityId } },
      body: { code: "000000" === redemption.code ? "000001" : "000000" },
    }),
  );
  check(wrong.code === "redemption_code_not_found", "a wrong code says so", wrong);
  const handed = ok(
    "verify",
    await staff.POST("/api/v1/communities/{id}/redemptions/verify", {
      params: { path: { id: communityId } },
      body: { code: redemption.code ?? "" },
    }),
  );
  check(handed.status === "fulfilled", "handed over", handed);

  const book = ok(
    "stock book",
    await staff.GET("/api/v1/communities/{id}/goods/inventory", { params: { path: { id: communityId } } }),
  );
  const line = book.items.find((l) => l.goods.id === goods.id);
  check(line && line.goods.stock + line.pending_units + line.fulfilled_units === line.goods.total_stocked, "stock adds up", line);

  // ---- Resident: the passbook opens its references; the leaderboard. ----
  const entries = ok("passbook", await resident.GET("/api/v1/me/points/entries"));
  check(entries.items[0]?.kind === "redeem", "the newest entry is the redemption", entries);
  const summary = ok("points", await resident.GET("/api/v1/me/points"));
  check(summary.balance === entries.items[0]?.balance_after, "balance matches the passbook", [summary, entries]);
  const pricey = ok(
    "stock a dear item",
    await staff.POST("/api/v1/communities/{id}/goods", {
      params: { path: { id: communityId } },
      body: { name: "电饭煲", description: "3L", points_price: 100000, stock: 1 },
    }),
  );
  const short = failed(
    "too dear",
    409,
    await resident.POST("/api/v1/redemptions", {
      params: { header: { "Idempotency-Key": randomUUID() } },
      body: { goods_id: pricey.id, quantity: 1 },
    }),
  );
  check(short.code === "insufficient_points" && short.details?.["balance"] === summary.balance, "the refusal carries the balance", short);
  const badges = ok(
    "badges",
    await staff.GET("/api/v1/communities/{id}/counts", { params: { path: { id: communityId } } }),
  );
  check(badges.pending_residences === 0 && badges.pending_redemptions === 0, "nothing waits", badges);
  const board = ok(
    "leaderboard",
    await resident.GET("/api/v1/communities/{id}/points/leaderboard", { params: { path: { id: communityId } } }),
  );
  check(board.since.length === 10 && board.next_cursor == null, "a month's top list, by Shanghai date", board);

  // ---- Volunteers: a courier registers (报到), staff approve, the courier checks in with the code. ----
  const courierTokens = await login(`courier-${randomUUID().slice(0, 8)}`);
  const courier = client(courierTokens.access_token);
  const filed = ok(
    "register",
    await courier.POST("/api/v1/volunteer-registrations", {
      body: { community_id: communityId, kind: "courier", organisation: "顺丰速运 新华大街站" },
    }),
  );
  check(filed.status === "pending", "a registration waits for staff", filed);
  ok(
    "approve the courier",
    await staff.POST("/api/v1/volunteer-registrations/{id}/approve", { params: { path: { id: filed.id } } }),
  );
  const shown = ok(
    "the rotating code",
    await staff.GET("/api/v1/communities/{id}/checkin-code", { params: { path: { id: communityId } } }),
  );
  check(shown.qr_payload.endsWith(shown.code), "the QR payload carries the code", shown);
  const checkin = ok(
    "check in",
    await courier.POST("/api/v1/checkins", {
      body: { community_id: communityId, lat: 40.8151, lng: 111.6502, accuracy_m: 30, code: shown.qr_payload },
    }),
  );
  check(checkin.evidence === "code" && checkin.status === "accepted", "checked in on the code's evidence", checkin);
  const twice = failed(
    "twice a day",
    409,
    await courier.POST("/api/v1/checkins", { body: { community_id: communityId, lat: 40.8151, lng: 111.6502 } }),
  );
  check(twice.code === "already_checked_in", "one check-in a day", twice);
  const served = ok("my volunteering", await courier.GET("/api/v1/me/volunteering"));
  check(served.items[0]?.checkins === 1 && served.items[0]?.registrations[0]?.status === "approved", "the check-in counts", served);

  // ---- Sessions: a lost refresh answer is retried within the grace. ----
  const first = ok("refresh", await client().POST("/api/v1/auth/refresh", { body: { refresh_token: zs.refresh_token } }));
  const retry = ok("refresh retried", await client().POST("/api/v1/auth/refresh", { body: { refresh_token: zs.refresh_token } }));
  check(first.refresh_token === retry.refresh_token, "the same successor within the grace", [first, retry]);
  const bad = failed("a forged token", 401, await client("forged").GET("/api/v1/me"));
  check(toast(bad) === "login", "a bad token sends the page to login", bad);

  console.log("client flows passed: resident and staff");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
