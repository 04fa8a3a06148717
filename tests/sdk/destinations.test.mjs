// Destinations through the SDK: create (auth methods, rate limits), list, retrieve, update,
// upsert, disable/enable, delete.
import test from "node:test";
import assert from "node:assert/strict";
import { hookdeck, unique, sdkError } from "./support.mjs";

test("destinations are created, listed, read, updated, upserted, disabled and deleted", async () => {
  const name = unique("des");
  const created = await hookdeck.destination.create({
    name,
    url: "https://example.com/hooks",
    httpMethod: "PUT",
    rateLimit: 10,
    rateLimitPeriod: "second",
    authMethod: { type: "BEARER_TOKEN", config: { token: "t0k" } },
  });
  assert.match(created.id, /^des_/);
  assert.equal(created.url, "https://example.com/hooks");
  assert.equal(created.httpMethod, "PUT");
  assert.equal(created.rateLimit, 10);
  assert.equal(created.rateLimitPeriod, "second");
  assert.equal(created.authMethod.type, "BEARER_TOKEN");

  const page = await hookdeck.destination.list({ name });
  assert.deepEqual(page.models.map((d) => d.id), [created.id]);
  const got = await hookdeck.destination.retrieve(created.id);
  assert.equal(got.name, name);
  const updated = await hookdeck.destination.update(created.id, { url: "https://example.com/v2" });
  assert.equal(updated.url, "https://example.com/v2");
  const upserted = await hookdeck.destination.upsert({ name, url: "https://example.com/v3" });
  assert.equal(upserted.id, created.id);
  assert.equal(upserted.url, "https://example.com/v3");

  assert.ok((await hookdeck.destination.disable(created.id)).disabledAt);
  assert.equal((await hookdeck.destination.list({ name })).count, 0);
  assert.equal((await hookdeck.destination.list({ name, disabled: true })).count, 1);
  assert.equal((await hookdeck.destination.enable(created.id)).disabledAt ?? null, null);

  const noUrl = await sdkError(hookdeck.destination.create({ name: unique("des") }));
  assert.equal(noUrl.statusCode, 422);
  assert.equal((await hookdeck.destination.delete(created.id)).id, created.id);
  assert.equal((await sdkError(hookdeck.destination.retrieve(created.id))).statusCode, 404);
});
