// What the SDK contract tests share: a client of the hookd that scripts/sdk-contract.sh
// started, raw calls for what the SDK does not cover (source URLs, the signing secret), unique
// names, bounded waits and a receiver of deliveries.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { HookdeckClient } from "@hookdeck/sdk";

export const BASE = process.env.HOOKD_SDK_BASE;
export const KEY = process.env.HOOKD_SDK_KEY;
if (!BASE || !KEY) {
  throw new Error("HOOKD_SDK_BASE and HOOKD_SDK_KEY are unset: run scripts/sdk-contract.sh");
}

/** The SDK as a user points it at hookd: the environment (base URL) and a token. */
export function client(token = KEY) {
  return new HookdeckClient({ token, environment: `${BASE}/2024-03-01` });
}

export const hookdeck = client();

// With validation off the SDK still checks each answer against its schema: on a mismatch it
// only warns, and hands back the raw JSON (snake_case, untyped). A contract test fails there.
const warn = console.warn;
console.warn = (...args) => {
  if (String(args[0]).startsWith("Failed to validate")) {
    throw new Error(`the SDK could not read hookd's answer: ${args.join(" ")}`);
  }
  warn(...args);
};

/** One value of a query on hookd's database (psql). */
function sql(query) {
  return execFileSync("psql", [process.env.HOOKD_SDK_DATABASE_URL, "-tAc", query], {
    encoding: "utf8",
  }).trim();
}

/**
 * Waits until the router has routed these requests, if this build's router routes gateway
 * requests (it exports hookd_gateway_events_ignored_total): connections made afterwards are
 * then never routed to, so what a test makes of them (a request retry) is not raced by routing.
 */
export async function routed(requestIds) {
  const metrics = await fetch(`${process.env.HOOKD_SDK_ROUTER}/metrics`).then((r) => r.text());
  if (!metrics.includes("hookd_gateway_events_ignored_total")) return;
  const ids = requestIds.map((r) => `'${r.slice(4)}'::uuid`).join(",");
  await eventually("the router to route the requests", () =>
    sql(`SELECT count(*) FROM gw_requests WHERE id IN (${ids}) AND routed_at IS NULL`) === "0",
  );
}

export function unique(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A raw call to hookd (path from the server root), answering {status, body}. */
export async function raw(method, path, { body, headers = {}, key = KEY } = {}) {
  const h = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  const r = await fetch(`${BASE}${path}`, { method, headers: h, body });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body: json, text };
}

/** Posts `body` to a source's URL (no key: the URL is the address). */
export async function sendToSource(source, body, headers = {}) {
  const path = new URL(source.url).pathname;
  const r = await raw("POST", path, {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
    key: null,
  });
  if (r.status !== 200) throw new Error(`source URL answered ${r.status}: ${r.text}`);
  return r.body.request_id;
}

/** Polls `check` (async, truthy when done) until it holds, at most `seconds`. */
export async function eventually(what, check, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The HookdeckError an SDK call throws (its statusCode and body), or a failure if none. */
export async function sdkError(promise) {
  try {
    await promise;
  } catch (e) {
    if (e.statusCode !== undefined) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

/** An HTTP server that answers 200 and keeps what it received (raw body, headers). */
export async function receiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}
