// Two generated namespace clients over ONE socket.io-client connection (a shared
// Manager) against the example app: `node dist/shared.js URL MODERATOR_TOKEN`.
// A 🚩 reaction sent on /chat reaches the /moderation listener of the same connection.
// One JSON line per observation; the last is {"step":"done"}. Every wait is bounded.
import { Manager } from "socket.io-client";
import { ChatClient } from "./chat.js";
import { ModerationClient } from "./moderation.js";
import type { ReportFiled } from "./moderation.js";

const [url, moderatorToken] = process.argv.slice(2) as [string, string];
const WAIT = 10_000;
const FLAG = "\u{1F6A9}";

function out(step: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timed out")), WAIT).unref()),
  ]);
}

async function main(): Promise<void> {
  const response = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "node-shared" }),
  });
  const login = (await response.json()) as { token: string; user: { name: string } };

  const manager = new Manager(url, { transports: ["websocket"], reconnection: false });
  const chat = ChatClient.attach(manager, { token: login.token });
  const moderation = ModerationClient.attach(manager, { token: moderatorToken, role: "moderator" });
  const report = new Promise<ReportFiled>((resolve) => moderation.on("report:filed", resolve));
  await bounded(Promise.all([chat.ready(), moderation.ready()]));
  out("connected", {
    sameManager: chat.socket.io === moderation.socket.io,
    engines: new Set([chat.socket.io.engine.id, moderation.socket.io.engine.id]).size,
  });

  await chat.joinRoom({ room: "node-shared" }, { timeoutMs: WAIT });
  const sent = await chat.sendMessage(
    { room: "node-shared", client_ref: crypto.randomUUID(), content: { kind: "text", text: "spam?" } },
    { timeoutMs: WAIT },
  );
  chat.emitReact({ room: "node-shared", message_id: sent.id, emoji: FLAG });
  const filed = await bounded(report);
  out("report", { matches: filed.message_id === sent.id, reporter: filed.reporter.name, name: login.user.name });
  chat.disconnect();
  moderation.disconnect();
  out("done");
}

main().catch((error: unknown) => {
  out("error", { error: String(error) });
  process.exit(1);
});
