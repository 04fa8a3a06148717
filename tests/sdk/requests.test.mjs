// Requests, events, attempts and bulk retries through the SDK, without needing delivery:
// requests arrive before their connections exist, a request retry makes the events (held, on
// a paused connection, so no try races the assertions), then events are read, muted, retried
// and bulk-retried.
import test from "node:test";
import assert from "node:assert/strict";
import { hookdeck, unique, sdkError, sendToSource, eventually, routed } from "./support.mjs";

async function heldEvents(n) {
  const source = await hookdeck.source.create({ name: unique("src") });
  const requestIds = [];
  for (let i = 0; i < n; i++) {
    requestIds.push(await sendToSource(source, { n: i }, { "x-shop": "eu" }));
  }
  await routed(requestIds);
  const connection = await hookdeck.connection.create({
    name: unique("web"),
    sourceId: source.id,
    destination: { name: unique("des"), url: "https://example.com/held" },
  });
  await hookdeck.connection.pause(connection.id);
  const events = [];
  for (const id of requestIds) {
    const retried = await hookdeck.request.retry(id, { webhookIds: [connection.id] });
    assert.equal(retried.request.id, id);
    assert.equal(retried.events.length, 1);
    events.push(retried.events[0]);
  }
  return { source, connection, requestIds, events };
}

test("requests are listed, read with data and raw body, and retried into events", async () => {
  const { source, connection, requestIds, events } = await heldEvents(2);
  const page = await hookdeck.request.list({ sourceId: source.id, dir: "asc" });
  assert.deepEqual(page.models.map((r) => r.id), requestIds);
  assert.equal(page.models[0].eventsCount, 1);
  const accepted = await hookdeck.request.list({ sourceId: source.id, status: "accepted", limit: 1 });
  assert.equal(accepted.count, 1);
  assert.ok(accepted.pagination.next);

  const r = await hookdeck.request.retrieve(requestIds[0]);
  assert.equal(r.sourceId, source.id);
  assert.deepEqual(r.data.body, { n: 0 });
  assert.equal(r.data.headers["x-shop"], "eu");
  const body = await hookdeck.request.retrieveBody(requestIds[1]);
  assert.equal(body.body, '{"n":1}');

  const ofRequest = await hookdeck.request.listEvent(requestIds[0]);
  assert.deepEqual(ofRequest.models.map((e) => e.id), [events[0].id]);
  // No connection when it arrived: NO_CONNECTION is the request's cause, not an ignored event.
  const ignored = await hookdeck.request.listIgnoredEvent(requestIds[0]);
  assert.equal(ignored.count, 0);
  assert.equal(r.rejectionCause, "NO_CONNECTION");
  // Nothing left to make: a second retry makes no event.
  const again = await hookdeck.request.retry(requestIds[0], { webhookIds: [] });
  assert.deepEqual(again.events, []);
  const bad = await sdkError(hookdeck.request.retry(requestIds[0], { webhookIds: ["web_nope"] }));
  assert.equal(bad.statusCode, 422);
  assert.equal((await sdkError(hookdeck.request.retrieve("req_nope"))).statusCode, 404);
  assert.equal(events[0].webhookId, connection.id);
});

test("events are listed, read, muted and retried; their attempts listed", async () => {
  const { connection, requestIds, events } = await heldEvents(3);
  const [first, second, third] = events;
  assert.match(first.id, /^evt_/);
  assert.equal(first.status, "HOLD");

  const page = await hookdeck.event.list({ webhookId: connection.id, dir: "asc" });
  assert.deepEqual(page.models.map((e) => e.id), events.map((e) => e.id));
  const held = await hookdeck.event.list({ webhookId: connection.id, status: "HOLD", limit: 2 });
  assert.equal(held.count, 2);
  assert.ok(held.pagination.next);
  const rest = await hookdeck.event.list({
    webhookId: connection.id, status: "HOLD", limit: 2, next: held.pagination.next,
  });
  assert.equal(rest.count, 1);
  const withData = await hookdeck.event.list({ webhookId: connection.id, include: "data", limit: 1 });
  assert.ok(withData.models[0].data);

  const got = await hookdeck.event.retrieve(second.id);
  assert.equal(got.requestId, requestIds[1]);
  assert.equal(got.sourceId, connection.source.id);
  assert.equal(got.destinationId, connection.destination.id);
  assert.deepEqual(got.data.body, { n: 1 });
  assert.equal((await hookdeck.event.retrieveBody(second.id)).body, '{"n":1}');

  const muted = await hookdeck.event.mute(first.id);
  assert.equal(muted.status, "FAILED");
  assert.equal(muted.errorCode, "CANCELLED");
  const cancelled = await hookdeck.event.list({ webhookId: connection.id, errorCode: "CANCELLED" });
  assert.deepEqual(cancelled.models.map((e) => e.id), [first.id]);

  const retried = await hookdeck.event.retry(third.id);
  assert.equal(retried.event.id, third.id);
  assert.equal(retried.event.status, "QUEUED");
  assert.ok(retried.event.nextAttemptAt);

  // Held and never tried: no attempts.
  const attempts = await hookdeck.attempt.list({ eventId: second.id });
  assert.equal(attempts.count, 0);
  assert.equal((await sdkError(hookdeck.attempt.retrieve("atm_nope"))).statusCode, 404);
  assert.equal((await sdkError(hookdeck.event.retrieve("evt_nope"))).statusCode, 404);
  assert.equal((await sdkError(hookdeck.event.list({ status: "LOST" }))).statusCode, 422);
});

test("bulk retries are planned, run to completion, listed, read and cancelled", async () => {
  const { connection, events } = await heldEvents(3);
  const none = await sdkError(hookdeck.eventBulkRetry.create({}));
  assert.equal(none.statusCode, 422);

  const plan = await hookdeck.eventBulkRetry.plan();
  assert.ok(plan.estimatedCount >= 3, JSON.stringify(plan));
  assert.ok(plan.estimatedBatch >= 1);

  const created = await hookdeck.eventBulkRetry.create({
    query: { webhookId: connection.id, status: "HOLD" },
  });
  assert.match(created.id, /^bch_/);
  assert.equal(created.estimatedCount, 3);
  assert.equal(created.estimatedBatch, 1);
  const done = await eventually("the bulk retry to complete", async () => {
    const b = await hookdeck.eventBulkRetry.retrieve(created.id);
    return b.completedAt ? b : null;
  });
  assert.equal(done.inProgress, false);
  assert.equal(done.completedCount, 3);
  assert.equal(done.processedBatch, 1);
  assert.equal(done.progress, 1);

  const listed = await hookdeck.eventBulkRetry.list({ id: [created.id] });
  assert.deepEqual(listed.models.map((b) => b.id), [created.id]);
  const cancelled = await hookdeck.eventBulkRetry.cancel(created.id);
  assert.equal(cancelled.id, created.id);
  assert.equal(cancelled.inProgress, false);
  assert.equal((await sdkError(hookdeck.eventBulkRetry.retrieve("bch_nope"))).statusCode, 404);
});
