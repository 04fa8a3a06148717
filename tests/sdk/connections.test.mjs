// Connections through the SDK: inline create, upsert, list with filters, count, retrieve,
// update (rules), pause/unpause, disable/enable, delete.
import test from "node:test";
import assert from "node:assert/strict";
import { hookdeck, unique, sdkError } from "./support.mjs";

test("connections are created inline, upserted, counted, updated, paused, disabled and deleted", async () => {
  const name = unique("web");
  const srcName = unique("src");
  const created = await hookdeck.connection.create({
    name,
    source: { name: srcName },
    destination: { name: unique("des"), url: "https://example.com/in" },
    rules: [{ type: "retry", strategy: "linear", count: 3, interval: 1000 }],
  });
  assert.match(created.id, /^web_/);
  assert.equal(created.fullName, `${srcName} -> ${name}`);
  assert.match(created.source.id, /^src_/);
  assert.match(created.destination.id, /^des_/);
  assert.equal(created.rules[0].type, "retry");

  const upserted = await hookdeck.connection.upsert({
    name,
    sourceId: created.source.id,
    destinationId: created.destination.id,
    description: "via upsert",
  });
  assert.equal(upserted.id, created.id);
  assert.equal(upserted.description, "via upsert");

  const listed = await hookdeck.connection.list({ sourceId: created.source.id });
  assert.deepEqual(listed.models.map((c) => c.id), [created.id]);
  const byFullName = await hookdeck.connection.list({ fullName: `${srcName} -> ${name}` });
  assert.equal(byFullName.count, 1);
  const count = await hookdeck.connection.count({ sourceId: created.source.id });
  assert.equal(count.count, 1);

  const got = await hookdeck.connection.retrieve(created.id);
  assert.equal(got.name, name);
  const updated = await hookdeck.connection.update(created.id, {
    rules: [{ type: "delay", delay: 500 }],
  });
  assert.deepEqual(updated.rules.map((r) => r.type), ["delay"]);

  assert.ok((await hookdeck.connection.pause(created.id)).pausedAt);
  assert.equal((await hookdeck.connection.unpause(created.id)).pausedAt ?? null, null);
  assert.ok((await hookdeck.connection.disable(created.id)).disabledAt);
  assert.equal((await hookdeck.connection.count({ sourceId: created.source.id })).count, 0);
  assert.equal((await hookdeck.connection.enable(created.id)).disabledAt ?? null, null);

  const transform = await sdkError(
    hookdeck.connection.create({
      name: unique("web"),
      sourceId: created.source.id,
      destinationId: created.destination.id,
      rules: [{ type: "transform", transformationId: "trs_x" }],
    }),
  );
  assert.equal(transform.statusCode, 422);
  const dup = await sdkError(
    hookdeck.connection.create({ name, sourceId: created.source.id, destinationId: created.destination.id }),
  );
  assert.equal(dup.statusCode, 409);

  assert.equal((await hookdeck.connection.delete(created.id)).id, created.id);
  assert.equal((await sdkError(hookdeck.connection.retrieve(created.id))).statusCode, 404);
});
