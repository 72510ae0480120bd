// A Fedify actor on loopback for Communecter's interop tests.
//
// One Person, "peer", with an RSA key (HTTP signatures) and an Ed25519 key
// (Object Integrity Proofs).  It behaves as a small fediverse server would:
// it accepts every Follow (an Accept goes back), keeps its followers and whom
// it follows, publishes Notes to its followers' inboxes, replies, likes and
// announces, and serves its actor, outbox, followers, following and every
// object it made.  Every request that reaches an inbox is logged with the
// signature format it carried, Fedify's own verdict on the signature, the
// status Fedify answered and the raw JSON; every activity that an inbox
// listener accepted is recorded (with that raw JSON, since Fedify's vocabulary
// drops properties it does not know, such as Mobilizon's).  A control API
// under /_control/ lets the tests read those logs and drive the peer.
//
// Files: federation.mjs (state, Fedify's dispatchers and inbox listeners, sending),
// controls.mjs (the control API's actions), lookups.mjs (what Fedify reads of other
// servers), peer.mjs (this one: the HTTP server, the logs and the control routes).
//
// Usage: node peer.mjs PORT   (prints "listening on http://127.0.0.1:PORT")

import { createServer } from "node:http";
import { Buffer } from "node:buffer";
import {
  exportJwk,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  IDENTIFIER,
  HOST,
  ORIGIN,
  PORT,
  MAX_BODY,
  state,
  keys,
  documentLoader,
  federation,
  note,
} from "./federation.mjs";
import { actorInfo, CONTROLS } from "./controls.mjs";

// --- HTTP ---------------------------------------------------------------------------------

/** The HTTP signature format of a request, from its headers. */
function signatureFormat(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage-http-signatures-12";
  return null;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toRequest(req, body) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const method = req.method ?? "GET";
  return new Request(new URL(req.url ?? "/", ORIGIN), {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
}

async function writeResponse(res, response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

async function handleControl(req, res, path, body) {
  const name = path.slice("/_control/".length);
  if (req.method === "GET") {
    switch (name) {
      case "inbox":
        return json(res, 200, {
          activities: state.activities,
          requests: state.requests,
          errors: state.errors,
        });
      case "fetches":
        return json(res, 200, state.fetches);
      case "actor":
        return json(res, 200, actorInfo());
      case "followers":
        return json(
          res,
          200,
          Object.fromEntries(
            [...state.followers].map(([id, where]) => [id, where.inbox]),
          ),
        );
      case "following":
        return json(res, 200, Object.fromEntries(state.following));
      case "outbox":
        return json(res, 200, state.outbox);
      case "keys":
        return json(res, 200, {
          rsa: await exportJwk(keys.rsa.publicKey),
          ed25519: await exportJwk(keys.ed25519.publicKey),
        });
    }
  }
  if (req.method === "POST" && name === "reset") {
    state.refuse.clear();
    state.secure = false;
    state.fetches.length = 0;
    state.activities.length = 0;
    state.requests.length = 0;
    state.errors.length = 0;
    state.raw.clear();
    state.followers.clear();
    state.following.clear();
    return json(res, 200, { reset: true });
  }
  let payload;
  try {
    payload = JSON.parse(body.toString("utf8") || "{}");
  } catch {
    return json(res, 400, { error: "invalid JSON" });
  }
  if (req.method === "POST" && name === "secure") {
    state.secure = Boolean(payload.on);
    return json(res, 200, { secure: state.secure });
  }
  if (req.method === "POST" && name === "refuse") {
    // {formats: ["rfc9421" | "draft-cavage-http-signatures-12", …]}: the inboxes answer
    // 401 to deliveries signed so, as a server that only knows the other format would.
    state.refuse = new Set(payload.formats ?? []);
    return json(res, 200, { refuse: [...state.refuse] });
  }
  const control = req.method === "POST" ? CONTROLS[name] : undefined;
  if (control === undefined) {
    return json(res, 404, { error: `no control endpoint ${req.method} ${path}` });
  }
  try {
    return json(res, 200, await control(payload));
  } catch (error) {
    note(`control ${name}`, error);
    return json(res, 502, { error: String(error?.stack ?? error) });
  }
}

/** Fedify's own verdict on a request's signature. */
async function verdict(request) {
  try {
    const result = await verifyRequestDetailed(request.clone(), {
      documentLoader,
    });
    return result.verified
      ? { verified: true, keyId: result.key.id?.href ?? null }
      : {
        verified: false,
        reason: result.reason.type,
        keyId: result.reason.keyId?.href ?? null,
      };
  } catch (error) {
    return { verified: false, reason: String(error) };
  }
}

/** Logs a GET of the peer's documents (not of the actor: Fedify's key fetches would
 * drown the log): signature format, Fedify's verdict, status. */
async function recordFetch(request, path) {
  const signed = signatureFormat(request.headers);
  const entry = {
    path,
    format: signed,
    verification: signed ? await verdict(request) : null,
    status: null,
    at: new Date().toISOString(),
  };
  state.fetches.push(entry);
  return entry;
}

/** Logs a request to an inbox: format, Fedify's verdict on the signature, raw JSON. */
async function recordInboxRequest(request, path, body) {
  let verification;
  try {
    const result = await verifyRequestDetailed(request.clone(), {
      documentLoader,
    });
    verification = result.verified
      ? { verified: true, keyId: result.key.id?.href ?? null }
      : {
        verified: false,
        reason: result.reason.type,
        keyId: result.reason.keyId?.href ?? null,
      };
  } catch (error) {
    verification = { verified: false, reason: String(error) };
  }
  let activityId = null;
  let raw = null;
  try {
    raw = JSON.parse(body.toString("utf8"));
    activityId = raw?.id ?? null;
  } catch {
    // not JSON: Fedify answers it
  }
  if (activityId != null) state.raw.set(activityId, raw);
  const entry = {
    path,
    format: signatureFormat(request.headers),
    headers: Object.fromEntries(request.headers),
    activityId,
    verification,
    status: null,
    receivedAt: new Date().toISOString(),
  };
  state.requests.push(entry);
  return entry;
}

const server = createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    const path = new URL(req.url ?? "/", ORIGIN).pathname;
    if (path.startsWith("/_control/")) {
      return await handleControl(req, res, path, body);
    }
    const request = toRequest(req, body);
    const isInboxPost =
      req.method === "POST" && (path === "/inbox" || path.endsWith("/inbox"));
    const isFetch = req.method === "GET" && path.startsWith(`/users/${IDENTIFIER}/`);
    const entry = isInboxPost
      ? await recordInboxRequest(request, path, body)
      : null;
    const fetched = isFetch ? await recordFetch(request, path) : null;
    if (entry != null && state.refuse.has(entry.format)) {
      entry.status = 401;
      entry.refused = true;
      return json(res, 401, { error: `signatures in ${entry.format} are refused` });
    }
    const response = await federation.fetch(request, { contextData: undefined });
    if (entry != null) entry.status = response.status;
    if (fetched != null) fetched.status = response.status;
    await writeResponse(res, response);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) json(res, 500, { error: String(error) });
    else res.end();
  }
});

server.listen(PORT, HOST, () => {
  console.log(`listening on ${ORIGIN}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
