// The control API's actions: the peer follows, replies, likes, announces, joins,
// publishes, edits, moves… through Fedify's sendActivity (see peer.mjs).

import {
  signRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Follow,
  Join,
  Leave,
  Like,
  Move,
  Note,
  Person,
  Undo,
  Update,
} from "@fedify/vocab";
import {
  AS_CONTEXT,
  IDENTIFIER,
  ORIGIN,
  PUBLIC,
  state,
  keys,
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
} from "./federation.mjs";
import { controlCollection, controlLookup, controlNodeInfo } from "./lookups.mjs";

// --- the control API ----------------------------------------------------------------------

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

export { actorInfo, CONTROLS };
