// Contract version negotiation through the generated TypeScript client (real
// socket.io-client) against tests/sdkgen/apps/versioned_chat_app.py:
//
//   node dist/versions.js URL CASE...
//
// A CASE is a policy name (`major`, `exact`, `off`, `required`: the server's Socket.IO
// path) for the generated ChatClient, whatever contract version it was built from, or
// `raw:<policy>` for a plain socket.io-client socket that announces no version, or
// `down:<url>` for the generated client, without reconnection, where nothing listens.
// One JSON line per case; the last is {"case":"done"}. Every wait is bounded.
import { io } from "socket.io-client";
import { ConnectFailedError, ConnectRefusedError, IncompatibleVersionError, refusalOf } from "./runtime.js";
import { ChatClient, VERSION } from "./chat.js";

const [url, ...cases] = process.argv.slice(2) as [string, ...string[]];
const WAIT = 10_000;
const TOKEN = "token-0123456789abcdef";

function out(name: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ case: name, ...fields }) + "\n");
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), WAIT);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof IncompatibleVersionError) {
    return {
      type: "IncompatibleVersionError",
      isConnectRefused: error instanceof ConnectRefusedError,
      code: error.code,
      clientVersion: error.clientVersion,
      serverVersion: error.serverVersion,
      policy: error.policy,
      reason: error.reason,
      namespace: error.namespace,
    };
  }
  if (error instanceof ConnectRefusedError) return { type: "ConnectRefusedError", code: error.code };
  if (error instanceof ConnectFailedError) {
    return { type: "ConnectFailedError", namespace: error.namespace, reason: error.reason };
  }
  throw error;
}

async function generated(policy: string): Promise<Record<string, unknown>> {
  const options = { path: `/${policy}/`, transports: ["websocket"], reconnection: false };
  const client = ChatClient.connect(url, { token: TOKEN }, options);
  const heard: string[] = [];
  client.onRefused((error) => heard.push(error.name));
  try {
    await bounded(client.ready());
    const joined = await client.joinRoom({ room: "lobby" }, { timeoutMs: WAIT });
    return { accepted: true, room: joined.room, sent: VERSION };
  } catch (error) {
    return { accepted: false, sent: VERSION, heard, ...describe(error) };
  } finally {
    client.disconnect();
  }
}

async function raw(policy: string): Promise<Record<string, unknown>> {
  const socket = io(url.replace(/\/$/, "") + "/chat", {
    path: `/${policy}/`,
    transports: ["websocket"],
    reconnection: false,
    auth: { token: TOKEN },
  });
  try {
    const error = await bounded(
      new Promise<(Error & { data?: unknown }) | null>((resolve) => {
        socket.once("connect", () => resolve(null));
        socket.once("connect_error", resolve);
      }),
    );
    return error === null ? { accepted: true } : { accepted: false, ...describe(refusalOf("/chat", error)) };
  } finally {
    socket.disconnect();
  }
}

async function down(target: string): Promise<Record<string, unknown>> {
  const client = ChatClient.connect(target, { token: TOKEN }, { transports: ["websocket"], reconnection: false });
  try {
    await bounded(client.ready());
    return { accepted: true };
  } catch (error) {
    return { accepted: false, ...describe(error) };
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  for (const name of cases) {
    if (name.startsWith("down:")) out("down", await down(name.slice(5)));
    else out(name, await (name.startsWith("raw:") ? raw(name.slice(4)) : generated(name)));
  }
  out("done");
}

main().catch((error: unknown) => {
  out("error", { error: String(error) });
  process.exit(1);
});
