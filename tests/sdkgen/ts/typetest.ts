// Type tests for the generated TypeScript client (generated/client_ts). `tsc --strict`
// must pass: every `@ts-expect-error` line must really be an error (or tsc fails
// with "Unused '@ts-expect-error' directive"), and everything else must be clean.
import { io } from "socket.io-client";
import { AckError, AckTimeoutError, ConnectRefusedError, IncompatibleVersionError } from "./runtime.js";
import type { AckResult } from "./runtime.js";
import { ChatClient } from "./chat.js";
import type {
  ClientSocket,
  DeliveryReceipt,
  HistoryPage,
  MessageAccepted,
  RoomJoined,
  SendMessage,
} from "./chat.js";

const socket: ClientSocket = io("http://localhost:8000/chat", { auth: { token: "x".repeat(16) } });
const send: SendMessage = {
  room: "lobby",
  client_ref: "8c7b0a4e-3b7e-4c43-9d1e-5f1d2b3c4d5e",
  content: { kind: "text", text: "hi" },
};

// Raw socket.io-client, typed by the generated interfaces.
socket.emit("message:send", send, (res: AckResult<MessageAccepted>) => {
  if (res.ok) {
    const id: string = res.data.id;
    void id;
  } else {
    const code: string = res.error.code;
    void code;
  }
});
socket.emit("typing", { room: "lobby", active: true });
socket.on("message:posted", (payload) => {
  const text: string = payload.message.room;
  void text;
});
socket.on("message:delivery_check", (payload, ack) => {
  ack({ received: payload.message_ids });
});
async function withAck(): Promise<AckResult<MessageAccepted>> {
  return socket.timeout(1000).emitWithAck("message:send", send);
}
void withAck;

// @ts-expect-error: wrong payload (room must be a string)
socket.emit("typing", { room: 1, active: true });
// @ts-expect-error: wrong payload (missing field)
socket.emit("message:send", { room: "lobby" }, () => {});
// @ts-expect-error: unknown event
socket.emit("message:nope", send);
// @ts-expect-error: wrong ack type for message:send
socket.emit("message:send", send, (res: AckResult<HistoryPage>) => res);
// @ts-expect-error: acked event without its ack callback type (a number is no callback)
socket.emit("message:send", send, 5);
// @ts-expect-error: unknown server event
socket.on("message:nope", () => {});
socket.on("message:delivery_check", (payload, ack) => {
  // @ts-expect-error: wrong ack payload for a server call
  ack({ received: 5 });
  void payload;
});
// @ts-expect-error: enum value outside the contract's literal union
socket.emit("presence:set", { status: "sleeping" }, () => {});

// The wrapper: promises that reject on error acks and timeouts.
const client = ChatClient.connect("http://localhost:8000", { token: "x".repeat(16), client: "web" });
async function wrapper(): Promise<void> {
  const accepted: MessageAccepted = await client.sendMessage(send, { timeoutMs: 500 });
  const joined: RoomJoined = await client.joinRoom({ room: "lobby" });
  client.emitTyping({ room: "lobby", active: false });
  const off = client.on("message:delivery_check", (payload, ack) => ack({ received: payload.message_ids }));
  off();
  client.onError((error: AckError) => error.code);
  try {
    await client.fetchHistory({ room: "lobby", limit: 10 });
  } catch (error) {
    if (error instanceof AckTimeoutError) void error.timeoutMs;
  }
  void accepted;
  void joined;

  // @ts-expect-error: wrong payload
  await client.sendMessage({ room: "lobby" });
  // @ts-expect-error: wrong ack type
  const wrong: HistoryPage = await client.sendMessage(send);
  // @ts-expect-error: unknown server event
  client.on("message:nope", () => {});
  // @ts-expect-error: the listener's ack takes a DeliveryReceipt
  client.on("message:delivery_check", (_payload, ack) => ack({ received: [1] }));
  // @ts-expect-error: no such request on /chat
  await client.muteUser({});
  // @ts-expect-error: auth is typed (token is required)
  ChatClient.connect("http://localhost:8000", { client: "web" });
  // @ts-expect-error: auth client must be one of the literal union
  ChatClient.connect("http://localhost:8000", { token: "x".repeat(16), client: "desktop" });
  void wrong;
}

// Refusals at connect are typed; an incompatible contract version names both versions.
async function versions(client: ChatClient): Promise<string> {
  const ready: Promise<void> = client.ready();
  client.onRefused((error: ConnectRefusedError) => console.log(error.code, error.reason));
  // @ts-expect-error: a refusal is not an AckError (no event, no details)
  client.onRefused((error: AckError) => console.log(error.event));
  try {
    await ready;
    return "connected";
  } catch (error) {
    if (error instanceof IncompatibleVersionError) {
      const versions: [string | null, string, string] = [error.clientVersion, error.serverVersion, error.policy];
      // @ts-expect-error: the client may have announced no version
      const announced: string = error.clientVersion;
      void announced;
      return versions.join(" ");
    }
    throw error;
  }
}
void versions;
void wrapper;
const receipt: DeliveryReceipt = { received: [] };
void receipt;
