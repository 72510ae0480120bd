// The Fedify side of the peer: its state, its actor and collections, what it sends and
// what its inbox does with what arrives (see peer.mjs).

import {
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
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

export {
  AS_CONTEXT,
  IDENTIFIER,
  HOST,
  ORIGIN,
  PORT,
  PUBLIC,
  MAX_BODY,
  state,
  keys,
  documentLoader,
  federation,
  context,
  newId,
  now,
  note,
  person,
  KINDS,
  actorUri,
  remember,
  recipientOf,
  sendTo,
};
