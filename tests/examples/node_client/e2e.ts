// Drives the generated TypeScript client (generated/client_ts on the real socket.io-client)
// against the chat example served by the runtime: every event of /chat and /moderation in
// both directions, error acks, a timeout, and a server restart.
//
//   node dist/e2e.js URL MODERATOR_TOKEN
//
// Compiled next to a copy of the generated client (so it imports "./chat.js"). Prints one
// JSON line per check, {"check": NAME, "ok": true, ...observations} or {"check": NAME,
// "ok": false, "error": ...}; {"step": "await_restart"} asks the test to restart the server
// on the same port; the last line is {"check": "done", "ok": true}. Every wait is bounded.
import { AckError, AckTimeoutError } from "./runtime.js";
import { ChatClient } from "./chat.js";
import type {
  ChatAuth,
  ChatMessage,
  MessageAccepted,
  Member,
  ServerToClientEvents as ChatEvents,
} from "./chat.js";
import { ModerationClient } from "./moderation.js";
import type { ReportFiled } from "./moderation.js";

const [url = "", moderatorToken = ""] = process.argv.slice(2);
const WAIT = 10_000;
const ROOM = "node-room";
const THUMBS_UP = "\u{1F44D}";
const FLAG = "\u{1F6A9}"; // the example files a moderation report for this reaction
const FAST_RECONNECT = { reconnectionDelay: 100, reconnectionDelayMax: 500 };

type Observations = Record<string, unknown>;

function emit(record: Observations): void {
  process.stdout.write(JSON.stringify(record) + "\n");
}

let failures = 0;

/** Run one check; a failure is reported under its name and the run goes on. */
async function check(name: string, body: () => Promise<Observations>): Promise<void> {
  try {
    emit({ check: name, ok: true, ...(await body()) });
  } catch (error) {
    failures += 1;
    emit({ check: name, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
}

function bounded<T>(what: string, register: (resolve: (value: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let off = (): void => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${WAIT} ms`));
    }, WAIT);
    off = register((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

type Listened = Exclude<keyof ChatEvents, "message:delivery_check">;
type Payload<E extends Listened> = Parameters<ChatEvents[E]>[0];

/** The next `event` on `client` whose payload satisfies `match`. */
function next<E extends Listened>(
  client: ChatClient,
  event: E,
  match: (payload: Payload<E>) => boolean = () => true,
): Promise<Payload<E>> {
  return bounded<Payload<E>>(event, (resolve) => {
    const listener = (payload: Payload<E>): void => {
      if (match(payload)) resolve(payload);
    };
    return client.on(event, listener as ChatEvents[E]);
  });
}

function nextError(client: ChatClient, event: string): Promise<AckError> {
  return bounded<AckError>(`sdkgen:error for ${event}`, (resolve) =>
    client.onError((error) => {
      if (error.event === event) resolve(error);
    }),
  );
}

interface Emitter<T> {
  once(event: string, listener: (value: T) => void): unknown;
  off(event: string, listener: (value: T) => void): unknown;
}

/** The next reserved `event` (connect, disconnect, reconnect...) of a socket or manager. */
function socketEvent<T>(target: object, event: string): Promise<T> {
  // socket.io types reserved events per emitter class; this helper serves both kinds.
  const emitter = target as Emitter<T>;
  return bounded<T>(event, (resolve) => {
    emitter.once(event, resolve);
    return () => {
      emitter.off(event, resolve);
    };
  });
}

/** What a rejected request rejected with. */
async function rejection(promise: Promise<unknown>): Promise<Observations> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AckError) {
      return { type: "AckError", code: error.code, event: error.event, message: error.message, details: error.details };
    }
    if (error instanceof AckTimeoutError) return { type: "AckTimeoutError", event: error.event, timeoutMs: error.timeoutMs };
    return { type: String(error) };
  }
  throw new Error("the request resolved; expected a rejection");
}

async function login(name: string): Promise<{ token: string; user: Member }> {
  const response = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!response.ok) throw new Error(`login ${name}: HTTP ${response.status}`);
  return (await response.json()) as { token: string; user: Member };
}

/** Connect to /chat; resolves once connected, rejects with the refusal. */
async function connectChat(auth: ChatAuth, options: Record<string, unknown> = {}): Promise<ChatClient> {
  const client = ChatClient.connect(url, auth, { reconnection: false, ...options });
  const outcome = await bounded<Error | null>("connect", (resolve) => {
    const ok = (): void => resolve(null);
    client.socket.once("connect", ok);
    client.socket.once("connect_error", resolve);
    return () => {
      client.socket.off("connect", ok);
      client.socket.off("connect_error", resolve);
    };
  });
  if (outcome !== null) {
    client.disconnect();
    throw outcome;
  }
  return client;
}

function refusal(error: unknown): Observations {
  const data = (error as { data?: unknown }).data;
  return { message: error instanceof Error ? error.message : String(error), data };
}

const text = (value: string): ChatMessage["content"] => ({ kind: "text", text: value });
let refs = 0;
const clientRef = (): string => `00000000-0000-4000-8000-${String(++refs).padStart(12, "0")}`;

async function main(): Promise<void> {
  // -- connecting: the contract's auth, refusals with their structured data -------
  await check("connect/unknown_token", async () => {
    try {
      await connectChat({ token: "not-a-login-token-0123456789" });
    } catch (error) {
      return refusal(error);
    }
    throw new Error("connected with a token nobody logged in with");
  });
  await check("connect/invalid_auth", async () => {
    try {
      await connectChat({ token: "short" }); // ChatAuth.token has minLength 16
    } catch (error) {
      return refusal(error);
    }
    throw new Error("connected with an invalid auth");
  });
  await check("moderation/connect_refused", async () => {
    const mod = ModerationClient.connect(url, { token: "wrong-moderator-token", role: "moderator" }, { reconnection: false });
    try {
      return refusal(await socketEvent<Error>(mod.socket, "connect_error"));
    } finally {
      mod.disconnect();
    }
  });

  const aliceLogin = await login("alice");
  const bobLogin = await login("bob");
  const alice = await connectChat({ token: aliceLogin.token, client: "web" }, { reconnection: true, ...FAST_RECONNECT });
  const bob = await connectChat({ token: bobLogin.token, client: "ios" });
  const mod = ModerationClient.connect(url, { token: moderatorToken, role: "admin" }, { reconnection: false });
  await socketEvent<void>(mod.socket, "connect");

  // The server->client call: bob answers delivery checks, pretending to have lost the
  // newest message of each check, so the server sends that one again.
  const checks: Array<{ room: string; asked: number; missing: string | undefined }> = [];
  bob.on("message:delivery_check", (payload, ack) => {
    const missing = payload.message_ids.at(-1);
    checks.push({ room: payload.room, asked: payload.message_ids.length, missing });
    ack({ received: payload.message_ids.filter((id) => id !== missing), read_up_to: null });
  });

  // -- /chat, client -> server and the events they cause ---------------------------
  await check("chat/room:join", async () => {
    const joined = await alice.joinRoom({ room: ROOM }, { timeoutMs: WAIT });
    return { room: joined.room, members: joined.members.map((m) => m.name), history: joined.history.length, topic: joined.topic };
  });
  await check("chat/room:membership", async () => {
    const seen = next(alice, "room:membership", (p) => p.member.name === "bob");
    const joined = await bob.joinRoom({ room: ROOM, password: null }, { timeoutMs: WAIT });
    const change = await seen;
    return { change: change.change, room: change.room, member: change.member.name, bob_sees: joined.members.map((m) => m.name).sort() };
  });
  await check("chat/typing", async () => {
    const update = next(alice, "typing:update", (p) => p.typing.length > 0);
    bob.emitTyping({ room: ROOM, active: true });
    const got = await update;
    return { room: got.room, typing: got.typing.map((m) => m.name) };
  });

  let first: MessageAccepted | null = null;
  await check("chat/message:send", async () => {
    const ref = clientRef();
    const posted = next(alice, "message:posted");
    const ownCopy = next(bob, "message:posted");
    const typingCleared = next(alice, "typing:update", (p) => p.typing.length === 0);
    first = await bob.sendMessage({ room: ROOM, client_ref: ref, content: text("hello from node") }, { timeoutMs: WAIT });
    const [message, own] = [(await posted).message, (await ownCopy).message];
    await typingCleared; // sending clears the sender's typing state
    // A resend after a lost ack: same answer, no second message.
    const again = await bob.sendMessage({ room: ROOM, client_ref: ref, content: text("hello from node") });
    return {
      accepted: first.id,
      posted: message.id,
      own_copy: own.id,
      author: message.author.name,
      content: message.content,
      sent_at: message.sent_at,
      resend: again.id,
    };
  });
  await check("chat/message:send_file", async () => {
    const posted = next(alice, "message:posted", (p) => "filename" in p.message.content);
    const data = new Uint8Array([0, 1, 127, 128, 254, 255]);
    await bob.sendMessage({ room: ROOM, client_ref: clientRef(), content: { kind: "file", filename: "bytes.bin", data } });
    const content = (await posted).message.content;
    if (!("filename" in content)) throw new Error("not a file");
    const bytes = content.data instanceof Uint8Array ? content.data : new Uint8Array(content.data);
    return { filename: content.filename, media_type: content.media_type, bytes: Array.from(bytes) };
  });
  await check("chat/message:react", async () => {
    const id = first?.id ?? "";
    const updated = next(bob, "message:posted", (p) => p.message.id === id && THUMBS_UP in p.message.reactions);
    alice.emitReact({ room: ROOM, message_id: id, emoji: THUMBS_UP });
    return { reactions: (await updated).message.reactions };
  });
  await check("moderation/report:filed", async () => {
    const id = first?.id ?? "";
    const report = bounded<ReportFiled>("report:filed", (resolve) => mod.on("report:filed", resolve));
    alice.emitReact({ room: ROOM, message_id: id, emoji: FLAG });
    const got = await report;
    return { room: got.room, message_id: got.message_id, reporter: got.reporter.name, category: got.category, first: id };
  });
  await check("chat/history:fetch", async () => {
    const page = await alice.fetchHistory({ room: ROOM, limit: 1 });
    const all = await alice.fetchHistory({ room: ROOM, before: null });
    return { page: page.messages.length, has_more: page.has_more, all: all.messages.length, all_has_more: all.has_more };
  });
  await check("chat/presence:set", async () => {
    const changed = next(alice, "presence:changed", (p) => p.member.name === "bob");
    const accepted = await bob.setPresence({ status: "away", note: "lunch" });
    const got = await changed;
    return { accepted, member: got.member.name, status: got.member.status, note: got.note };
  });
  await check("chat/message:delivery_check", async () => {
    // Back online: the server asks bob which recent messages he has and re-sends the rest.
    const newest = await alice.fetchHistory({ room: ROOM, limit: 1 });
    const missing = newest.messages[0]?.id ?? "";
    const resent = next(bob, "message:posted", (p) => p.message.id === missing);
    await bob.setPresence({ status: "online" });
    const got = await resent;
    return { checks, missing, resent: got.message.id };
  });
  await check("chat/join", async () => {
    // The deprecated protocol 1.0 name, still served: no history in its answer.
    const joined = await alice.legacyJoin({ room: "legacy-room" });
    return { room: joined.room, members: joined.members.map((m) => m.name), history: joined.history };
  });

  // -- /moderation, client -> server -------------------------------------------------
  await check("moderation/user:mute", async () => {
    const result = await mod.muteUser({ room: ROOM, user_id: bobLogin.user.id, duration: "PT1H", reason: "too loud" });
    const refused = await rejection(bob.sendMessage({ room: ROOM, client_ref: clientRef(), content: text("still here?") }));
    return { applied: result.applied, reason: result.reason, muted_send: refused };
  });
  await check("moderation/message:delete", async () => {
    const id = first?.id ?? "";
    const deleted = await mod.deleteMessage({ room: ROOM, message_id: id, reason: "spam" });
    const again = await mod.deleteMessage({ room: ROOM, message_id: id, reason: "spam" });
    const left = await alice.fetchHistory({ room: ROOM });
    return { deleted: deleted.applied, again: again.applied, again_reason: again.reason, still_listed: left.messages.some((m) => m.id === id) };
  });

  // -- errors: structured error acks reject the promise with the typed error ----------
  await check("error/invalid_payload", async () =>
    rejection(alice.joinRoom({ room: "Not A Slug!" })), // against the contract's pattern
  );
  await check("error/moderation_invalid_payload", async () =>
    rejection(mod.muteUser({ room: ROOM, user_id: bobLogin.user.id, duration: "PT1M", reason: "x" })),
  );
  await check("error/handler", async () => rejection(alice.fetchHistory({ room: "elsewhere" })));
  await check("error/unacked_handler", async () => {
    const error = nextError(alice, "typing");
    alice.emitTyping({ room: "elsewhere", active: true });
    const got = await error;
    return { code: got.code, event: got.event, message: got.message };
  });
  await check("error/unacked_invalid_payload", async () => {
    const error = nextError(alice, "message:react");
    alice.emitReact({ room: ROOM, message_id: "not-a-uuid", emoji: THUMBS_UP });
    const got = await error;
    return { code: got.code, event: got.event, locs: got.details.map((d) => d["loc"]) };
  });
  await check("error/timeout", async () => {
    // Never connected: the request waits in socket.io's buffer until the timeout fires.
    const offline = ChatClient.connect(url, { token: aliceLogin.token }, { autoConnect: false });
    try {
      return await rejection(offline.joinRoom({ room: ROOM }, { timeoutMs: 300 }));
    } finally {
      offline.disconnect();
    }
  });

  await check("chat/room:leave", async () => {
    const left = next(alice, "room:membership", (p) => p.change === "left");
    bob.emitLeaveRoom({ room: ROOM });
    const got = await left;
    return { change: got.change, member: got.member.name, room: got.room };
  });
  bob.disconnect();
  mod.disconnect();

  // -- a server restart: the client reconnects by itself and works again ---------------
  await check("reconnect", async () => {
    const lost = socketEvent<string>(alice.socket, "disconnect");
    const reconnected = socketEvent<number>(alice.socket.io, "reconnect");
    // The restarted server has forgotten the login: the namespace refuses the old token.
    // (connect_error also reports the failed attempts while the server is down.)
    const refused = bounded<Error>("connect_error with unknown_token", (resolve) => {
      const listener = (error: Error): void => {
        if ((error as { data?: { code?: unknown } }).data?.code === "unknown_token") resolve(error);
      };
      alice.socket.on("connect_error", listener);
      return () => {
        alice.socket.off("connect_error", listener);
      };
    });
    emit({ step: "await_restart" });
    const reason = await lost;
    const attempts = await reconnected;
    const refusedWith = refusal(await refused);
    const again = await login("alice");
    const current = alice.socket.auth as Record<string, unknown>;
    alice.socket.auth = { ...current, token: again.token };
    const connected = socketEvent<void>(alice.socket, "connect");
    alice.socket.connect();
    await connected;
    const joined = await alice.joinRoom({ room: ROOM }, { timeoutMs: WAIT });
    const posted = next(alice, "message:posted");
    const accepted = await alice.sendMessage({ room: ROOM, client_ref: clientRef(), content: text("back again") });
    const message = (await posted).message;
    return {
      reason,
      attempts,
      refused: refusedWith,
      members: joined.members.map((m) => m.name),
      history: joined.history.length,
      posted: message.id === accepted.id,
    };
  });
  alice.disconnect();
  emit({ check: "done", ok: failures === 0, failures });
}

main().then(
  () => process.exit(failures === 0 ? 0 : 1),
  (error: unknown) => {
    emit({ check: "fatal", ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    process.exit(1);
  },
);
