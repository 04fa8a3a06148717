// Sources through the SDK: create, list, retrieve (with verification configs), update,
// upsert by name, disable/enable (the SDK's archive/unarchive routes), delete, errors.
import test from "node:test";
import assert from "node:assert/strict";
import { hookdeck, unique, sdkError, client } from "./support.mjs";

test("sources are created, listed, read, updated, upserted, disabled and deleted", async () => {
  const name = unique("src");
  const created = await hookdeck.source.create({
    name,
    description: "orders",
    allowedHttpMethods: ["POST", "PUT"],
    customResponse: { contentType: "json", body: '{"ok":1}' },
    verification: { type: "hmac", configs: { webhookSecretKey: "k3y", algorithm: "sha256", headerKey: "x-sig", encoding: "base64" } },
  });
  assert.match(created.id, /^src_/);
  assert.equal(created.name, name);
  assert.equal(created.description, "orders");
  assert.deepEqual(created.allowedHttpMethods, ["POST", "PUT"]);
  assert.equal(created.customResponse.contentType, "json");
  assert.ok(created.url.endsWith(`/e/${created.id}`), created.url);
  assert.ok(created.teamId);
  assert.ok(created.createdAt && created.updatedAt);

  const page = await hookdeck.source.list({ name });
  assert.equal(page.count, 1);
  assert.equal(page.models[0].id, created.id);
  assert.equal(page.pagination.limit, 100);
  const byId = await hookdeck.source.list({ id: [created.id], limit: 5 });
  assert.deepEqual(byId.models.map((s) => s.id), [created.id]);

  const plain = await hookdeck.source.retrieve(created.id);
  assert.equal(plain.name, name);
  const withConfigs = await hookdeck.source.retrieve(created.id, { include: "verification.configs" });
  assert.equal(withConfigs.verification.type, "HMAC");
  assert.equal(withConfigs.verification.configs.webhookSecretKey ?? withConfigs.verification.configs.webhook_secret_key, "k3y");

  const updated = await hookdeck.source.update(created.id, { description: "all orders" });
  assert.equal(updated.description, "all orders");
  assert.equal(updated.name, name);

  const upserted = await hookdeck.source.upsert({ name, description: "upserted" });
  assert.equal(upserted.id, created.id);
  assert.equal(upserted.description, "upserted");
  const fresh = await hookdeck.source.upsert({ name: unique("src") });
  assert.notEqual(fresh.id, created.id);

  const disabled = await hookdeck.source.disable(created.id);
  assert.ok(disabled.disabledAt);
  const hidden = await hookdeck.source.list({ name });
  assert.equal(hidden.count, 0);
  const enabled = await hookdeck.source.enable(created.id);
  assert.equal(enabled.disabledAt ?? null, null);

  const deleted = await hookdeck.source.delete(created.id);
  assert.equal(deleted.id, created.id);
  const gone = await sdkError(hookdeck.source.retrieve(created.id));
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.body.code, "NOT_FOUND");
  await hookdeck.source.delete(fresh.id);
});

test("bad source input is refused with hookd's errors", async () => {
  const name = unique("dup");
  await hookdeck.source.create({ name });
  const dup = await sdkError(hookdeck.source.create({ name }));
  assert.equal(dup.statusCode, 409);
  const bad = await sdkError(hookdeck.source.create({ name: "no spaces allowed" }));
  assert.equal(bad.statusCode, 422);
  assert.equal(bad.body.handled, true);
  const noKey = await sdkError(client("not-a-key").source.list());
  assert.equal(noKey.statusCode, 401);
});
