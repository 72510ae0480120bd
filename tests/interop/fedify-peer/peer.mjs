// A Fedify actor on loopback for Communecter's interop tests.
//
// One Person, "peer", with an RSA key (HTTP signatures) and an Ed25519 key
// (Object Integrity Proofs).  Every request that reaches an inbox is logged
// with the signature format it carried, Fedify's own verdict on the signature
// and the status Fedify answered; every activity that an inbox listener
// accepted is recorded.  A small control API under /_control/ lets the tests
// read those logs and make the peer sign and send activities.
//
// Usage: node peer.mjs PORT   (prints "listening on http://127.0.0.1:PORT")

import { createServer } from "node:http";
import { Buffer } from "node:buffer";
import {
  createFederation,
  exportJwk,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
  signRequest,
  verifyRequestDetailed,
} from "@fedify/fedify";
import { Accept, Activity, Endpoints, Follow, Person } from "@fedify/vocab";

const PORT = Number(process.argv[2] ?? process.env.PORT ?? 0);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const HOST = "127.0.0.1";
const ORIGIN = `http://${HOST}:${PORT}`;
const IDENTIFIER = "peer";
const MAX_BODY = 1024 * 1024;

const state = {
  activities: [], // activities accepted by an inbox listener
  requests: [], // every request that reached an inbox
  followers: new Map(), // actor id -> inbox url
};

const keys = {
  rsa: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  ed25519: await generateCryptoKeyPair("Ed25519"),
};

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "A Fedify actor that Communecter's tests talk to.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return [];
    return [keys.rsa, keys.ed25519];
  });

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    return { items: [...state.followers.keys()].map((id) => new URL(id)) };
  },
);

federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
  software: { name: "communecter-fedify-peer", version: "0.0.0" },
  protocols: ["activitypub"],
  usage: { users: { total: 1 }, localPosts: 0, localComments: 0 },
}));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (ctx, activity) => {
    let json = null;
    try {
      json = await activity.toJsonLd({ format: "compact" });
    } catch (error) {
      json = { error: String(error) };
    }
    state.activities.push({
      id: activity.id?.href ?? null,
      type: json?.type ?? activity.constructor.name,
      actor: activity.actorId?.href ?? null,
      object: activity.objectId?.href ?? null,
      recipient: ctx.recipient,
      // Fedify only calls inbox listeners once the signature is verified and
      // the key belongs to the activity's actor (no skipSignatureVerification).
      verified: true,
      receivedAt: new Date().toISOString(),
      json,
    });
    if (activity instanceof Follow && activity.actorId != null) {
      const follower = await activity.getActor(ctx);
      if (follower?.inboxId != null) {
        state.followers.set(follower.id.href, follower.inboxId.href);
        await ctx.sendActivity(
          { identifier: IDENTIFIER },
          follower,
          new Accept({
            id: new URL(`${ORIGIN}/activities/${crypto.randomUUID()}`),
            actor: ctx.getActorUri(IDENTIFIER),
            object: activity,
          }),
        );
      }
    }
  });

const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

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

function actorInfo() {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const actor = ctx.getActorUri(IDENTIFIER).href;
  return {
    id: actor,
    inbox: ctx.getInboxUri(IDENTIFIER).href,
    sharedInbox: ctx.getInboxUri().href,
    keyId: `${actor}#main-key`,
    origin: ORIGIN,
  };
}

async function rsaKeyId(ctx) {
  const pairs = await ctx.getActorKeyPairs(IDENTIFIER);
  const rsa = pairs.find(
    (pair) => pair.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5",
  );
  return { keyId: rsa.keyId, privateKey: rsa.privateKey };
}

function completeActivity(ctx, activity) {
  const actor = ctx.getActorUri(IDENTIFIER).href;
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${ORIGIN}/activities/${crypto.randomUUID()}`,
    actor,
    ...activity,
  };
}

// POST /_control/send {to, activity, spec?, recipient?}
// spec: "rfc9421" or "draft-cavage-http-signatures-12" signs with that format
// alone (Fedify's signRequest) and sends once; "double-knock" (the default)
// goes through ctx.sendActivity, which tries RFC 9421 first and falls back
// to draft-cavage on a 4xx.
async function controlSend(payload) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const to = new URL(payload.to);
  const spec = payload.spec ?? "double-knock";
  const activityJson = completeActivity(ctx, payload.activity ?? {});
  if (spec === "double-knock") {
    const activity = await Activity.fromJsonLd(activityJson, ctx);
    const recipient = {
      id: new URL(payload.recipient ?? to.href),
      inboxId: to,
    };
    await ctx.sendActivity({ identifier: IDENTIFIER }, recipient, activity, {
      preferSharedInbox: false,
    });
    return { sent: true, spec, id: activityJson.id };
  }
  if (spec !== "rfc9421" && spec !== "draft-cavage-http-signatures-12") {
    throw new Error(`unknown spec ${spec}`);
  }
  const body = new TextEncoder().encode(JSON.stringify(activityJson));
  const { keyId, privateKey } = await rsaKeyId(ctx);
  const request = new Request(to, {
    method: "POST",
    headers: {
      "content-type": "application/activity+json",
      accept: "application/activity+json",
    },
    body,
  });
  const signed = await signRequest(request, privateKey, keyId, {
    spec,
    body: body.buffer,
  });
  const response = await fetch(signed, { redirect: "manual" });
  const sentHeaders = {};
  signed.headers.forEach((value, name) => {
    sentHeaders[name] = value;
  });
  return {
    sent: response.ok,
    spec,
    id: activityJson.id,
    status: response.status,
    body: await response.text(),
    headers: sentHeaders,
  };
}

// POST /_control/follow {actor, inbox?}: the peer follows a remote actor.
async function controlFollow(payload) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const actorUrl = new URL(payload.actor);
  let inbox = payload.inbox ? new URL(payload.inbox) : null;
  if (inbox == null) {
    const remote = await ctx.lookupObject(actorUrl.href, { documentLoader });
    if (remote == null || remote.inboxId == null) {
      throw new Error(`cannot resolve the inbox of ${actorUrl.href}`);
    }
    inbox = remote.inboxId;
  }
  const follow = new Follow({
    id: new URL(`${ORIGIN}/activities/${crypto.randomUUID()}`),
    actor: ctx.getActorUri(IDENTIFIER),
    object: actorUrl,
  });
  await ctx.sendActivity(
    { identifier: IDENTIFIER },
    { id: actorUrl, inboxId: inbox },
    follow,
    { preferSharedInbox: false },
  );
  return { sent: true, id: follow.id.href };
}

async function handleControl(req, res, path, body) {
  if (req.method === "GET" && path === "/_control/inbox") {
    return json(res, 200, {
      activities: state.activities,
      requests: state.requests,
    });
  }
  if (req.method === "GET" && path === "/_control/actor") {
    return json(res, 200, actorInfo());
  }
  if (req.method === "GET" && path === "/_control/followers") {
    return json(res, 200, Object.fromEntries(state.followers));
  }
  if (req.method === "GET" && path === "/_control/keys") {
    return json(res, 200, {
      rsa: await exportJwk(keys.rsa.publicKey),
      ed25519: await exportJwk(keys.ed25519.publicKey),
    });
  }
  if (req.method === "POST" && path === "/_control/reset") {
    state.activities.length = 0;
    state.requests.length = 0;
    state.followers.clear();
    return json(res, 200, { reset: true });
  }
  let payload;
  try {
    payload = JSON.parse(body.toString("utf8") || "{}");
  } catch {
    return json(res, 400, { error: "invalid JSON" });
  }
  try {
    if (req.method === "POST" && path === "/_control/send") {
      return json(res, 200, await controlSend(payload));
    }
    if (req.method === "POST" && path === "/_control/follow") {
      return json(res, 200, await controlFollow(payload));
    }
  } catch (error) {
    return json(res, 502, { error: String(error?.stack ?? error) });
  }
  return json(res, 404, { error: `no control endpoint ${req.method} ${path}` });
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
    let record = null;
    if (isInboxPost) {
      // Fedify's own verdict on the signature, independent of the listener.
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
      try {
        activityId = JSON.parse(body.toString("utf8")).id ?? null;
      } catch {
        // not JSON: Fedify answers it
      }
      record = {
        path,
        format: signatureFormat(request.headers),
        headers: Object.fromEntries(request.headers),
        activityId,
        verification,
        status: null,
        receivedAt: new Date().toISOString(),
      };
      state.requests.push(record);
    }
    const response = await federation.fetch(request, { contextData: undefined });
    if (record != null) record.status = response.status;
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
