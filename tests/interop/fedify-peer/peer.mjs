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
// Usage: node peer.mjs PORT   (prints "listening on http://127.0.0.1:PORT")

import { createServer } from "node:http";
import { Buffer } from "node:buffer";
import {
  createFederation,
  exportJwk,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
  parseNodeInfo,
  signRequest,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Collection,
  Create,
  Delete,
  Endpoints,
  Follow,
  Join,
  Leave,
  Like,
  Move,
  Note,
  Person,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";

const PORT = Number(process.argv[2] ?? process.env.PORT ?? 0);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const HOST = "127.0.0.1";
const ORIGIN = `http://${HOST}:${PORT}`;
const IDENTIFIER = "peer";
const MAX_BODY = 1024 * 1024;
const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

const state = {
  activities: [], // activities accepted by an inbox listener
  requests: [], // every request that reached an inbox
  errors: [], // what went wrong in listeners and in sending (for the tests' messages)
  followers: new Map(), // actor id -> { inbox, sharedInbox }
  following: new Map(), // actor id -> { follow: Follow id, state: pending|accepted|rejected }
  outbox: [], // JSON of every activity the peer sent, newest last
  objects: new Map(), // id -> JSON of every object and activity the peer made
  raw: new Map(), // activity id -> the JSON that reached an inbox
  refuse: new Set(), // signature formats the inboxes answer 401 to (before Fedify)
  fetches: [], // every GET of the peer's documents: signature format, verdict, status
  secure: false, // "secure mode": objects and the outbox only for signed GETs
  profile: { name: "Fedify peer", aliases: [], movedTo: null }, // what the actor says
};

/** In secure mode (as Mastodon's), objects and the outbox are served only to requests
 * signed by a key whose owner Fedify can fetch; the actor stays public. */
async function authorized(ctx) {
  if (!state.secure) return true;
  const owner = await ctx.getSignedKeyOwner({ documentLoader });
  return owner != null;
}

const keys = {
  rsa: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  ed25519: await generateCryptoKeyPair("Ed25519"),
};

const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true,
});

function context() {
  return federation.createContext(new URL(ORIGIN), undefined);
}

function newId(kind) {
  return `${ORIGIN}/users/${IDENTIFIER}/${kind}/${crypto.randomUUID()}`;
}

function now() {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

function note(message, error) {
  state.errors.push({ at: now(), message, error: String(error?.stack ?? error) });
}

// --- the actor and its collections ------------------------------------------------------

/** The peer's Person, as its actor dispatcher serves it (and its Update sends it). */
async function person(ctx) {
  const identifier = IDENTIFIER;
  const pairs = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: state.profile.name,
    aliases: state.profile.aliases.map((alias) => new URL(alias)),
    successor: state.profile.movedTo ? new URL(state.profile.movedTo) : null,
    summary: "A Fedify actor that Communecter's tests talk to.",
    url: ctx.getActorUri(identifier),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    manuallyApprovesFollowers: false,
    discoverable: true,
    publicKey: pairs[0].cryptographicKey,
    assertionMethods: pairs.map((pair) => pair.multikey),
  });
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    return await person(ctx);
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return [];
    return [keys.rsa, keys.ed25519];
  });

// Items are Recipients (id, inbox, shared inbox) so that sendActivity(…, "followers")
// can deliver; Fedify serves their ids in the collection.
federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const items = [...state.followers].map(([id, where]) => ({
      id: new URL(id),
      inboxId: new URL(where.inbox),
      endpoints: where.sharedInbox
        ? { sharedInbox: new URL(where.sharedInbox) }
        : null,
    }));
    return { items };
  },
);

federation.setFollowingDispatcher(
  "/users/{identifier}/following",
  async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const items = [...state.following]
      .filter(([, follow]) => follow.state === "accepted")
      .map(([id]) => new URL(id));
    return { items };
  },
);

federation.setOutboxDispatcher(
  "/users/{identifier}/outbox",
  async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const items = [];
    for (const json of [...state.outbox].reverse()) {
      if (!json.to?.includes?.(PUBLIC)) continue;
      items.push(await Activity.fromJsonLd(json, ctx));
    }
    return { items };
  },
).authorize((ctx) => authorized(ctx));

// Everything the peer made is dereferenceable at its id (Fedify's object dispatchers).
const KINDS = {
  notes: Note,
  creates: Create,
  follows: Follow,
  likes: Like,
  announces: Announce,
  undos: Undo,
  accepts: Accept,
  joins: Join,
  leaves: Leave,
  updates: Update,
  deletes: Delete,
  moves: Move,
};
for (const [kind, cls] of Object.entries(KINDS)) {
  federation.setObjectDispatcher(
    cls,
    `/users/{identifier}/${kind}/{id}`,
    async (ctx, values) => {
      if (values.identifier !== IDENTIFIER) return null;
      const json = state.objects.get(ctx.getObjectUri(cls, values).href);
      return json == null ? null : await cls.fromJsonLd(json, ctx);
    },
  ).authorize((ctx) => authorized(ctx));
}

federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
  software: { name: "communecter-fedify-peer", version: "0.0.0" },
  protocols: ["activitypub"],
  usage: { users: { total: 1 }, localPosts: state.outbox.length, localComments: 0 },
}));

// --- sending ------------------------------------------------------------------------------

function actorUri(ctx) {
  return ctx.getActorUri(IDENTIFIER).href;
}

/** Records `json` (an activity, its object too when embedded) as the peer's own. */
function remember(json) {
  state.objects.set(json.id, json);
  if (json.object && typeof json.object === "object" && json.object.id) {
    state.objects.set(json.object.id, { "@context": AS_CONTEXT, ...json.object });
  }
  state.outbox.push(json);
}

/** The inbox of `recipient` (an actor IRI), unless `to` names it already. */
async function recipientOf(ctx, recipient, to) {
  if (recipient == null && to == null) throw new Error("recipient or to is needed");
  if (to != null) {
    return { id: new URL(recipient ?? to), inboxId: new URL(to) };
  }
  const actor = await ctx.lookupObject(recipient, { documentLoader });
  if (actor == null || actor.inboxId == null) {
    throw new Error(`cannot resolve the inbox of ${recipient}`);
  }
  return actor;
}

/** Signs and POSTs `json` to one recipient through Fedify (RFC 9421 first, then
 * draft-cavage after a 4xx); throws if the delivery fails. */
async function sendTo(ctx, recipient, json) {
  const activity = await Activity.fromJsonLd(json, ctx);
  remember(json);
  await ctx.sendActivity({ identifier: IDENTIFIER }, recipient, activity, {
    preferSharedInbox: false,
  });
  return activity;
}

// --- the inbox --------------------------------------------------------------------------

async function record(ctx, activity) {
  let json = null;
  try {
    json = await activity.toJsonLd({ format: "compact" });
  } catch (error) {
    json = { error: String(error) };
  }
  const id = activity.id?.href ?? null;
  const entry = {
    id,
    type: json?.type ?? activity.constructor.name,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    recipient: ctx.recipient,
    // Fedify only calls inbox listeners once the signature is verified and
    // the key belongs to the activity's actor (no skipSignatureVerification).
    verified: true,
    receivedAt: new Date().toISOString(),
    json,
    raw: id == null ? null : (state.raw.get(id) ?? null),
  };
  state.activities.push(entry);
  return entry;
}

async function onFollow(ctx, follow) {
  if (follow.objectId?.href !== actorUri(ctx)) return;
  const follower = await follow.getActor(ctx);
  if (follower?.id == null || follower.inboxId == null) {
    throw new Error(`cannot resolve the follower ${follow.actorId?.href}`);
  }
  state.followers.set(follower.id.href, {
    inbox: follower.inboxId.href,
    sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
  });
  const accept = {
    "@context": AS_CONTEXT,
    id: newId("accepts"),
    type: "Accept",
    actor: actorUri(ctx),
    object: await follow.toJsonLd({ format: "compact" }),
    to: [follower.id.href],
  };
  delete accept.object["@context"];
  try {
    await sendTo(ctx, follower, accept);
  } catch (error) {
    note(`Accept of ${follow.id?.href} to ${follower.inboxId.href}`, error);
  }
}

async function onUndo(ctx, undo) {
  let object = null;
  try {
    object = await undo.getObject(ctx);
  } catch (error) {
    note(`Undo ${undo.id?.href}: cannot read its object`, error);
  }
  if (object instanceof Follow && undo.actorId != null) {
    state.followers.delete(undo.actorId.href);
  }
}

function onAnswer(activity, verdict) {
  const followId = activity.objectId?.href;
  for (const [actor, follow] of state.following) {
    if (follow.follow === followId || actor === activity.actorId?.href) {
      follow.state = verdict;
    }
  }
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (ctx, activity) => {
    await record(ctx, activity);
    if (activity instanceof Follow) await onFollow(ctx, activity);
    else if (activity instanceof Undo) await onUndo(ctx, activity);
    else if (activity instanceof Accept) onAnswer(activity, "accepted");
    else if (activity instanceof Reject) onAnswer(activity, "rejected");
  })
  .onError((_ctx, error) => note("inbox listener", error));

// --- the control API ----------------------------------------------------------------------

function signatureFormat(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage-http-signatures-12";
  return null;
}

function actorInfo() {
  const ctx = context();
  const actor = actorUri(ctx);
  return {
    id: actor,
    inbox: ctx.getInboxUri(IDENTIFIER).href,
    sharedInbox: ctx.getInboxUri().href,
    outbox: ctx.getOutboxUri(IDENTIFIER).href,
    followers: ctx.getFollowersUri(IDENTIFIER).href,
    following: ctx.getFollowingUri(IDENTIFIER).href,
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

const KIND_OF_TYPE = Object.fromEntries(
  Object.entries(KINDS).map(([kind, cls]) => [cls.name, kind]),
);

/** The activity with the peer's context, actor and a dereferenceable id filled in (an
 * embedded Note without an id gets one too). */
function completeActivity(ctx, activity) {
  const kind = KIND_OF_TYPE[activity.type];
  const json = {
    "@context": AS_CONTEXT,
    id: kind ? newId(kind) : `${ORIGIN}/activities/${crypto.randomUUID()}`,
    actor: actorUri(ctx),
    ...activity,
  };
  const object = json.object;
  if (object && typeof object === "object" && object.type === "Note" && !object.id) {
    json.object = { id: newId("notes"), attributedTo: json.actor, ...object };
  }
  return json;
}

// POST /_control/send {to, activity, spec?, recipient?}
// spec: "rfc9421" or "draft-cavage-http-signatures-12" signs with that format
// alone (Fedify's signRequest) and sends once; "double-knock" (the default)
// goes through ctx.sendActivity, which tries RFC 9421 first and falls back
// to draft-cavage on a 4xx.
async function controlSend(payload) {
  const ctx = context();
  const to = new URL(payload.to);
  const spec = payload.spec ?? "double-knock";
  const activityJson = completeActivity(ctx, payload.activity ?? {});
  remember(activityJson);
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
  const ctx = context();
  const target = payload.actor;
  const recipient = await recipientOf(ctx, target, payload.inbox ?? null);
  const follow = {
    "@context": AS_CONTEXT,
    id: newId("follows"),
    type: "Follow",
    actor: actorUri(ctx),
    object: target,
    to: [target],
  };
  state.following.set(target, { follow: follow.id, state: "pending" });
  await sendTo(ctx, recipient, follow);
  return { sent: true, id: follow.id };
}

// POST /_control/unfollow {actor, inbox?}: Undo of the peer's Follow.
async function controlUnfollow(payload) {
  const ctx = context();
  const followed = state.following.get(payload.actor);
  if (followed == null) throw new Error(`the peer does not follow ${payload.actor}`);
  const recipient = await recipientOf(ctx, payload.actor, payload.inbox ?? null);
  const follow = { ...state.objects.get(followed.follow) };
  delete follow["@context"];
  const undo = {
    "@context": AS_CONTEXT,
    id: newId("undos"),
    type: "Undo",
    actor: actorUri(ctx),
    object: follow,
    to: [payload.actor],
  };
  await sendTo(ctx, recipient, undo);
  state.following.delete(payload.actor);
  return { sent: true, id: undo.id };
}

function noteJson(ctx, payload, cc) {
  const json = {
    id: newId("notes"),
    type: "Note",
    attributedTo: actorUri(ctx),
    content: payload.content ?? "",
    published: now(),
    to: [PUBLIC],
    cc,
  };
  if (payload.inReplyTo) json.inReplyTo = payload.inReplyTo;
  if (payload.name) json.name = payload.name;
  if (payload.tag) json.tag = payload.tag;
  return json;
}

function createJson(ctx, object) {
  return {
    "@context": AS_CONTEXT,
    id: newId("creates"),
    type: "Create",
    actor: actorUri(ctx),
    published: object.published,
    to: object.to,
    cc: object.cc,
    object,
  };
}

// POST /_control/reply {inReplyTo, content, recipient, to?}: Create(Note inReplyTo)
// addressed to the public, cc the replied-to author and the peer's followers.
async function controlReply(payload) {
  const ctx = context();
  const recipient = await recipientOf(ctx, payload.recipient, payload.to ?? null);
  const cc = [ctx.getFollowersUri(IDENTIFIER).href];
  if (payload.recipient) cc.unshift(payload.recipient);
  const create = createJson(ctx, noteJson(ctx, payload, cc));
  await sendTo(ctx, recipient, create);
  return { sent: true, id: create.id, note: create.object.id };
}

// POST /_control/like {object, recipient, to?}: a Like as Mastodon sends it (no
// addressing).  POST /_control/announce {object, recipient, to?}: a public Announce.
async function controlLikeOrAnnounce(kind, payload) {
  const ctx = context();
  const recipient = await recipientOf(ctx, payload.recipient, payload.to ?? null);
  const json = {
    "@context": AS_CONTEXT,
    id: newId(kind === "Like" ? "likes" : "announces"),
    type: kind,
    actor: actorUri(ctx),
    object: payload.object,
  };
  if (kind === "Announce") {
    json.published = now();
    json.to = [PUBLIC];
    json.cc = [payload.recipient, ctx.getFollowersUri(IDENTIFIER).href].filter(Boolean);
  }
  await sendTo(ctx, recipient, json);
  return { sent: true, id: json.id };
}

// POST /_control/undo {activity, recipient, to?}: Undo of an activity the peer sent.
async function controlUndo(payload) {
  const ctx = context();
  const original = state.objects.get(payload.activity);
  if (original == null) throw new Error(`the peer never sent ${payload.activity}`);
  const recipient = await recipientOf(ctx, payload.recipient, payload.to ?? null);
  const object = { ...original };
  delete object["@context"];
  const undo = {
    "@context": AS_CONTEXT,
    id: newId("undos"),
    type: "Undo",
    actor: actorUri(ctx),
    object,
  };
  if (original.to) undo.to = original.to;
  if (original.cc) undo.cc = original.cc;
  await sendTo(ctx, recipient, undo);
  return { sent: true, id: undo.id };
}

// POST /_control/publish {content, sharedInbox?}: Create(Note) delivered to every
// follower (one POST per shared inbox unless sharedInbox is false), as Fedify does.
async function controlPublish(payload) {
  const ctx = context();
  const create = createJson(
    ctx,
    noteJson(ctx, payload, [ctx.getFollowersUri(IDENTIFIER).href]),
  );
  const activity = await Activity.fromJsonLd(create, ctx);
  remember(create);
  await ctx.sendActivity({ identifier: IDENTIFIER }, "followers", activity, {
    preferSharedInbox: payload.sharedInbox ?? true,
  });
  return {
    sent: true,
    id: create.id,
    note: create.object.id,
    followers: [...state.followers.keys()],
  };
}

// POST /_control/join {object, recipient, to?} (and leave): participation in an event,
// as Mobilizon sends it; the organizer's server answers with an Accept.
async function controlJoinOrLeave(kind, payload) {
  const ctx = context();
  const recipient = await recipientOf(ctx, payload.recipient, payload.to ?? null);
  const json = {
    "@context": AS_CONTEXT,
    id: newId(kind === "Join" ? "joins" : "leaves"),
    type: kind,
    actor: actorUri(ctx),
    object: payload.object,
    to: [payload.recipient].filter(Boolean),
  };
  await sendTo(ctx, recipient, json);
  return { sent: true, id: json.id };
}

// POST /_control/update {note, content, recipient, to?}: Update of a Note of the peer's
// with new content.  POST /_control/delete {note, recipient, to?}: Delete (Tombstone).
async function controlUpdateOrDelete(kind, payload) {
  const ctx = context();
  const stored = state.objects.get(payload.note);
  if (stored == null) throw new Error(`the peer never made ${payload.note}`);
  const recipient = await recipientOf(ctx, payload.recipient, payload.to ?? null);
  const { "@context": _ignored, ...current } = stored;
  let object;
  if (kind === "Update") {
    object = { ...current, content: payload.content, updated: now() };
    state.objects.set(payload.note, { "@context": AS_CONTEXT, ...object });
  } else {
    object = { id: payload.note, type: "Tombstone" };
    state.objects.delete(payload.note);
  }
  const json = {
    "@context": AS_CONTEXT,
    id: newId(kind === "Update" ? "updates" : "deletes"),
    type: kind,
    actor: actorUri(ctx),
    object,
    to: current.to ?? [PUBLIC],
    cc: current.cc ?? [],
  };
  const activity = await Activity.fromJsonLd(json, ctx);
  state.outbox.push(json);
  state.objects.set(json.id, json);
  await ctx.sendActivity({ identifier: IDENTIFIER }, recipient, activity, {
    preferSharedInbox: false,
  });
  return { sent: true, id: json.id };
}

/** Fedify's loader for look-ups: signed with the peer's key when `signed` (Fedify's
 * authenticated document loader), else plain. */
async function loaderFor(ctx, signed) {
  return signed ? await ctx.getDocumentLoader({ identifier: IDENTIFIER }) : documentLoader;
}

// POST /_control/lookup {iri, signed?}: what Fedify makes of one of our documents (its
// class and its own JSON-LD of it), fetched and parsed as Fedify does for any remote
// object; `signed`: with a signed GET (for servers in authorized-fetch mode).
async function controlLookup(payload) {
  const ctx = context();
  const loader = await loaderFor(ctx, payload.signed);
  let found;
  try {
    found = await ctx.lookupObject(payload.iri, { documentLoader: loader });
  } catch (error) {
    return { found: false, error: String(error) };
  }
  if (found == null) return { found: false };
  const result = {
    found: true,
    type: found.constructor.name,
    json: await found.toJsonLd({ format: "compact" }),
  };
  if (typeof found.getPublicKeys === "function") {
    result.publicKeys = [];
    for await (const key of found.getPublicKeys({ documentLoader: loader })) {
      result.publicKeys.push({ id: key.id?.href ?? null, owner: key.ownerId?.href ?? null });
    }
  }
  return result;
}

// POST /_control/collection {iri, limit?, signed?}: the items of one of our collections
// as Fedify walks it (first page, next pages).
async function controlCollection(payload) {
  const ctx = context();
  const loader = await loaderFor(ctx, payload.signed);
  let found;
  try {
    found = await ctx.lookupObject(payload.iri, { documentLoader: loader });
  } catch (error) {
    return { found: false, error: String(error) };
  }
  if (!(found instanceof Collection)) {
    return { found: false, type: found?.constructor?.name ?? null };
  }
  const items = [];
  const limit = payload.limit ?? 200;
  const walk = ctx.traverseCollection(found, { documentLoader: loader });
  for await (const item of walk) {
    items.push({
      id: item.id?.href ?? item.href?.href ?? null,
      type: item.constructor.name,
      object: item.objectId?.href ?? null,
    });
    if (items.length >= limit) break;
  }
  return {
    found: true,
    type: found.constructor.name,
    totalItems: found.totalItems ?? null,
    items,
  };
}

/** Sends `json` (an activity of the peer) to every follower, as publish does. */
async function sendToFollowers(ctx, json) {
  const activity = await Activity.fromJsonLd(json, ctx);
  state.outbox.push(json);
  state.objects.set(json.id, json);
  await ctx.sendActivity({ identifier: IDENTIFIER }, "followers", activity, {
    preferSharedInbox: true,
  });
}

// POST /_control/profile {name?, aliases?}: the actor changes (Update{Person} sent to
// the followers when `tell` is true).
async function controlProfile(payload) {
  const ctx = context();
  if (payload.name != null) state.profile.name = payload.name;
  if (payload.aliases != null) state.profile.aliases = payload.aliases;
  if (payload.tell) {
    const actor = await (await person(ctx)).toJsonLd({ format: "compact" });
    const { "@context": actorContext, ...described } = actor;
    await sendToFollowers(ctx, {
      "@context": actorContext,
      id: newId("updates"),
      type: "Update",
      actor: actorUri(ctx),
      object: described,
      to: [PUBLIC],
      cc: [ctx.getFollowersUri(IDENTIFIER).href],
    });
  }
  return { profile: state.profile };
}

// POST /_control/move {target}: the account moved to `target` (which names it in
// alsoKnownAs): movedTo set, Move sent to the followers, as Mastodon does.
async function controlMove(payload) {
  const ctx = context();
  state.profile.movedTo = payload.target;
  const move = {
    "@context": AS_CONTEXT,
    id: newId("moves"),
    type: "Move",
    actor: actorUri(ctx),
    object: actorUri(ctx),
    target: payload.target,
    to: [ctx.getFollowersUri(IDENTIFIER).href],
  };
  await sendToFollowers(ctx, move);
  return { sent: true, id: move.id, followers: [...state.followers.keys()] };
}

// POST /_control/nodeinfo {url}: a server's NodeInfo as Fedify parses it (strictly).
// Fedify's getNodeInfo refuses private addresses whatever the options, so the two
// documents are fetched here and handed to Fedify's parser.
async function controlNodeInfo(payload) {
  const wellKnown = await fetch(new URL("/.well-known/nodeinfo", payload.url), {
    headers: { accept: "application/json" },
  });
  if (!wellKnown.ok) return { found: false, status: wellKnown.status };
  const links = (await wellKnown.json())?.links ?? [];
  const link = links.find((l) =>
    l?.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1" ||
    l?.rel === "http://nodeinfo.diaspora.software/ns/schema/2.0"
  );
  if (link?.href == null) return { found: false, links };
  const document = await fetch(link.href, { headers: { accept: "application/json" } });
  if (!document.ok) return { found: false, status: document.status };
  const info = parseNodeInfo(await document.json(), { parse: "strict" });
  if (info == null) return { found: false, parsed: false };
  return {
    found: true,
    software: { name: info.software.name, version: String(info.software.version) },
    protocols: info.protocols,
    openRegistrations: info.openRegistrations,
    usage: info.usage,
  };
}

const CONTROLS = {
  send: controlSend,
  follow: controlFollow,
  unfollow: controlUnfollow,
  reply: controlReply,
  like: (payload) => controlLikeOrAnnounce("Like", payload),
  announce: (payload) => controlLikeOrAnnounce("Announce", payload),
  undo: controlUndo,
  publish: controlPublish,
  join: (payload) => controlJoinOrLeave("Join", payload),
  leave: (payload) => controlJoinOrLeave("Leave", payload),
  update: (payload) => controlUpdateOrDelete("Update", payload),
  delete: (payload) => controlUpdateOrDelete("Delete", payload),
  lookup: controlLookup,
  collection: controlCollection,
  profile: controlProfile,
  move: controlMove,
  nodeinfo: controlNodeInfo,
};

// --- HTTP ---------------------------------------------------------------------------------

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
