// Drives the generated TypeScript client (real socket.io-client) against the runtime
// serving typed_chat_app: `node dist/drive.js URL TRANSPORT [restart]`. One JSON line
// per observation; the last is {"step":"done"}. Every wait is bounded. In `restart`
// mode it prints {"step":"await_restart"} and expects the server to go away and come
// back on the same port; the client must reconnect by itself and work again.
import { AckError, AckTimeoutError } from "./runtime.js";
import { ChatClient } from "./chat.js";
import type { DeliveryCheck, MessagePosted, PresenceChanged } from "./chat.js";

const [url, transport, mode] = process.argv.slice(2) as [string, string, string | undefined];
const WAIT = 10_000;
const TOKEN = "token-0123456789abcdef";

function out(step: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
}

function next<T>(register: (resolve: (value: T) => void) => void, waitMs = WAIT): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for an event")), waitMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof AckError) return { type: "AckError", code: error.code, event: error.event, details: error.details };
  if (error instanceof AckTimeoutError) return { type: "AckTimeoutError", event: error.event };
  return { type: String(error) };
}

async function connected(client: ChatClient): Promise<void> {
  await next<void>((resolve) => client.socket.once("connect", () => resolve()));
}

async function restart(): Promise<void> {
  const options = { transports: [transport], reconnectionDelay: 100, reconnectionDelayMax: 500 };
  const client = ChatClient.connect(url, { token: TOKEN }, options);
  client.on("message:delivery_check", (payload, ack) => ack({ received: payload.message_ids }));
  await connected(client);
  const before = await client.joinRoom({ room: "lobby" }, { timeoutMs: WAIT });
  const lost = next<string>((resolve) => client.socket.once("disconnect", resolve));
  out("await_restart", { room: before.room });
  out("disconnected", { reason: await lost });
  await next<void>((resolve) => client.socket.once("connect", () => resolve()), 30_000);
  const after = await client.joinRoom({ room: "lobby" }, { timeoutMs: WAIT });
  out("reconnected", { room: after.room, members: after.members.length });
  client.disconnect();
  out("done");
}

async function main(): Promise<void> {
  const options = { transports: [transport], reconnection: false };
  const client = ChatClient.connect(url, { token: TOKEN, client: "web" }, options);
  const checks: DeliveryCheck[] = [];
  client.on("message:delivery_check", (payload, ack) => {
    checks.push(payload);
    ack({ received: payload.message_ids });
  });
  const presence = next<PresenceChanged>((resolve) => client.on("presence:changed", resolve));
  await connected(client);

  const joined = await client.joinRoom({ room: "lobby" }, { timeoutMs: WAIT });
  out("join", { room: joined.room, members: joined.members.length });
  const changed = await presence;
  out("receipt", { note: changed.note, checks: checks.length });

  let posted = next<MessagePosted>((resolve) => client.on("message:posted", resolve));
  const accepted = await client.sendMessage({
    room: "lobby",
    client_ref: "8c7b0a4e-3b7e-4c43-9d1e-5f1d2b3c4d5e",
    content: { kind: "text", text: "hello" },
  });
  const text = await posted;
  out("send_text", { accepted: accepted.id, posted: text.message.id, content: text.message.content, sent_at: accepted.sent_at });

  posted = next<MessagePosted>((resolve) => client.on("message:posted", resolve));
  await client.sendMessage({
    room: "lobby",
    client_ref: "8c7b0a4e-3b7e-4c43-9d1e-5f1d2b3c4d5f",
    content: { kind: "file", filename: "a.bin", data: new Uint8Array([0, 1, 254, 255]) },
  });
  const file = (await posted).message.content;
  const data = file.kind === "file" ? file.data : null;
  out("send_file", { bytes: data instanceof Uint8Array ? Array.from(data) : String(data) });

  for (const [step, call] of [
    ["invalid", () => client.sendMessage({ room: "Not A Slug!", client_ref: "x", content: { kind: "text", text: "x" } })],
    ["not_implemented", () => client.fetchHistory({ room: "lobby" })],
  ] as const) {
    try {
      await call();
      out(step, { type: "resolved" });
    } catch (error) {
      out(step, describe(error));
    }
  }

  const unacked = next<AckError>((resolve) => client.onError(resolve));
  client.emitReact({ room: "lobby", message_id: "8c7b0a4e-3b7e-4c43-9d1e-5f1d2b3c4d5e", emoji: "x" });
  out("on_error", describe(await unacked));
  client.disconnect();
  // Asked on the closed socket, so no ack can come: the timeout always wins (a
  // zero timeout on the open socket raced a fast server's ack).
  try {
    await client.joinRoom({ room: "lobby" }, { timeoutMs: 50 });
    out("timeout", { type: "resolved" });
  } catch (error) {
    out("timeout", describe(error));
  }

  const refused = ChatClient.connect(url, { token: "short" }, options);
  const reason = await next<Error & { data?: unknown }>((resolve) => refused.socket.on("connect_error", resolve));
  out("refused", { message: reason.message, data: reason.data });
  refused.disconnect();
  out("done");
}

(mode === "restart" ? restart() : main()).catch((error: unknown) => {
  out("error", { error: String(error) });
  process.exit(1);
});
