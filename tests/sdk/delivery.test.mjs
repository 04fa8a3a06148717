// Delivery through the SDK's eyes (needs the gateway engine: routing, delivery, the signing
// secret): a request at a source URL reaches the destination signed so that the SDK's
// verifyWebhookSignature accepts it; its event and attempt read back; a manual retry and a
// bulk retry each make one more attempt with their trigger.
import test from "node:test";
import assert from "node:assert/strict";
import { verifyWebhookSignature } from "@hookdeck/sdk/webhooks/helpers.js";
import { hookdeck, unique, raw, sendToSource, eventually, receiver } from "./support.mjs";

test("a delivery verifies with the SDK and its event and attempts read back", async (t) => {
  const rx = await receiver();
  t.after(rx.close);
  const connection = await hookdeck.connection.create({
    name: unique("web"),
    source: { name: unique("src") },
    destination: { name: unique("des"), url: rx.url("/hook") },
  });
  const secret = await raw("GET", "/api/v1/gateway/signing_secret");
  assert.equal(secret.status, 200, secret.text);
  const signingSecret = secret.body.secret;

  const payload = '{"type":"order.paid","amount":150}';
  const requestId = await sendToSource(connection.source, payload);
  const got = await eventually("the delivery", () => rx.received[0]);
  assert.equal(got.rawBody, payload);
  assert.equal(got.headers["x-hookdeck-requestid"], requestId);
  const verified = await verifyWebhookSignature({ headers: got.headers, rawBody: got.rawBody, signingSecret });
  assert.equal(verified.isValidSignature, true);
  const tampered = await verifyWebhookSignature({ headers: got.headers, rawBody: got.rawBody + " ", signingSecret });
  assert.equal(tampered.isValidSignature, false);

  const eventId = got.headers["x-hookdeck-eventid"];
  const event = await eventually("the event to succeed", async () => {
    const e = await hookdeck.event.retrieve(eventId);
    return e.status === "SUCCESSFUL" ? e : null;
  });
  assert.equal(event.webhookId, connection.id);
  assert.equal(event.requestId, requestId);
  assert.equal(event.responseStatus, 200);
  const attempts = await hookdeck.attempt.list({ eventId });
  assert.equal(attempts.count, 1);
  const attempt = await hookdeck.attempt.retrieve(attempts.models[0].id);
  assert.equal(attempt.eventId, eventId);
  assert.equal(attempt.trigger, "INITIAL");
  assert.equal(attempt.status, "SUCCESSFUL");
  assert.equal(attempt.responseStatus, 200);

  await hookdeck.event.retry(eventId);
  const manual = await eventually("the manual try", () => rx.received[1]);
  assert.equal(manual.headers["x-hookdeck-attempt-trigger"], "MANUAL");
  assert.equal(manual.rawBody, payload);

  // A bulk retry passes over an event whose try is in flight: wait for this one to settle.
  await eventually("the manual attempt", async () => (await hookdeck.attempt.list({ eventId })).count === 2);
  const bulk = await hookdeck.eventBulkRetry.create({ query: { id: eventId } });
  const third = await eventually("the bulk retry's try", () => rx.received[2]);
  assert.equal(third.headers["x-hookdeck-attempt-trigger"], "BULK_RETRY");
  const all = await eventually("three attempts", async () => {
    const a = await hookdeck.attempt.list({ eventId });
    return a.count === 3 ? a : null;
  });
  const bulkAttempt = all.models.find((a) => a.trigger === "BULK_RETRY");
  assert.equal(bulkAttempt.bulkRetryId, bulk.id);
  assert.ok(all.models.some((a) => a.trigger === "MANUAL"));
});
