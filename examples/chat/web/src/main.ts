// The chat demo's page, on the client sdkgen generated from contracts/ (generated/client_ts):
// every request is a typed promise that rejects with AckError / AckTimeoutError, every
// listener gets the contract's payload type. build.mjs bundles this into static/index.html.
import { AckError, AckTimeoutError, chat } from "contracts-client";

type Member = chat.Member;
type ChatMessage = chat.ChatMessage;

interface LoginResult {
  token: string;
  user: Member;
}

const REQUEST_TIMEOUT_MS = 10_000;
const HISTORY_ON_JOIN = 50; // what the server sends in the room:join ack at most
const TYPING_IDLE_MS = 2_000; // no keystroke for this long: stopped typing
const FLAG = "\u{1F6A9}"; // this reaction files a report for the moderators
const REACTIONS = ["\u{1F44D}", "\u{1F389}", FLAG];
const PRESENCE: readonly chat.PresenceStatus[] = ["online", "away", "busy", "invisible"];

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

const ui = {
  status: byId("status"),
  login: byId<HTMLFormElement>("login"),
  name: byId<HTMLInputElement>("name"),
  presence: byId<HTMLSelectElement>("presence"),
  join: byId<HTMLFormElement>("join"),
  room: byId<HTMLInputElement>("room"),
  password: byId<HTMLInputElement>("password"),
  joinButton: byId<HTMLButtonElement>("join-button"),
  members: byId<HTMLUListElement>("members"),
  roomTitle: byId("room-title"),
  topic: byId("topic"),
  log: byId("log"),
  older: byId<HTMLButtonElement>("older"),
  typing: byId("typing"),
  send: byId<HTMLFormElement>("send"),
  text: byId<HTMLInputElement>("text"),
  sendButton: byId<HTMLButtonElement>("send-button"),
};

let client: chat.ChatClient | null = null;
let me: Member | null = null; // from /api/login
let room: string | null = null; // the room shown
const members = new Map<string, Member>();

// -- rendering --------------------------------------------------------------------

function uuid(): string {
  // randomUUID exists only in secure contexts (https, localhost); a LAN address over http is not.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function scrollDown(): void {
  ui.log.scrollTop = ui.log.scrollHeight;
}

function note(text: string, className = "notice"): void {
  const div = document.createElement("div");
  div.className = className;
  div.textContent = text;
  ui.log.append(div);
  scrollDown();
}

/** Show why a request failed: the server's structured error, or no answer in time. */
function failed(what: string, error: unknown): void {
  if (error instanceof AckError) note(`${what}: ${error.message}`, "error");
  else if (error instanceof AckTimeoutError) note(`${what}: no answer from the server`, "error");
  else note(`${what}: ${String(error)}`, "error");
}

function renderMembers(): void {
  ui.members.replaceChildren(
    ...Array.from(members.values(), (member) => {
      const li = document.createElement("li");
      const dot = document.createElement("span");
      const status = member.status ?? "online";
      dot.className = `dot ${status}`;
      li.append(dot, member.name + (me !== null && member.id === me.id ? " (you)" : ""));
      li.title = status;
      return li;
    }),
  );
}

function describe(content: ChatMessage["content"]): string {
  if ("text" in content) return content.text;
  if ("url" in content) return `[image ${content.alt ?? content.url}]`;
  return `[file ${content.filename}]`;
}

/** The page itself is the record of what this client has received (see the delivery check). */
function shownMessage(id: string): HTMLElement | null {
  return ui.log.querySelector<HTMLElement>(`.message[data-id="${CSS.escape(id)}"]`);
}

/** Insert or update a message by id: `message:posted` also carries reaction updates. */
function showMessage(message: ChatMessage, before: Node | null = null): void {
  let div = shownMessage(message.id);
  const fresh = div === null;
  div ??= document.createElement("div");
  div.className = "message";
  div.dataset["id"] = message.id;
  div.dataset["sentAt"] = message.sent_at;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = message.author.name;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = describe(message.content);
  const when = document.createElement("span");
  when.className = "when";
  when.textContent = new Date(message.sent_at).toLocaleTimeString();
  const reactions = document.createElement("span");
  reactions.className = "reactions";
  for (const emoji of REACTIONS) {
    const button = document.createElement("button");
    const count = message.reactions[emoji];
    button.textContent = count ? `${emoji} ${count}` : emoji;
    if (count) button.className = "counted";
    button.title = emoji === FLAG ? "report to the moderators" : "react";
    button.addEventListener("click", () => {
      client?.emitReact({ room: message.room, message_id: message.id, emoji });
    });
    reactions.append(button);
  }
  div.replaceChildren(who, text, when, reactions);
  if (fresh) {
    ui.log.insertBefore(div, before);
    if (before === null) scrollDown();
  }
}

function clearRoom(): void {
  members.clear();
  renderMembers();
  ui.log.replaceChildren(ui.older);
  ui.typing.textContent = "";
}

type Control = HTMLInputElement | HTMLButtonElement | HTMLSelectElement;

function enable(controls: Control[], on: boolean): void {
  for (const control of controls) control.disabled = !on;
}

// -- the connection ---------------------------------------------------------------

async function login(name: string): Promise<LoginResult | null> {
  const response = await fetch("/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body: unknown = await response.json();
  if (!response.ok) {
    const error = (body as { error?: unknown }).error;
    ui.status.textContent = `login failed: ${String(error)}`;
    return null;
  }
  return body as LoginResult;
}

function connect(token: string): void {
  client?.disconnect();
  const next = chat.ChatClient.connect(window.location.origin, { token, client: "web" });
  client = next;
  const { socket } = next;
  socket.on("connect", () => {
    ui.status.textContent = `connected as ${me?.name ?? "?"}`;
    enable([ui.joinButton, ui.presence], true);
    // A reconnect: the server may have forgotten us (restart), so join again; the ack has the history.
    if (room !== null) void joinRoom(room, null);
  });
  socket.on("connect_error", (err) => {
    ui.status.textContent = `refused: ${err.message}`;
    // A restarted server forgot our login; log in again under the same name.
    const { data } = err as Error & { data?: { code?: unknown } };
    if (data?.code === "unknown_token" && me !== null && client === next) void relogin(me.name);
  });
  socket.on("disconnect", (reason) => {
    ui.status.textContent = `disconnected: ${reason}`;
    enable([ui.text, ui.sendButton], false);
  });
  next.onError((error) => failed(error.event, error));
  next.on("message:posted", ({ message }) => {
    if (message.room === room) showMessage(message);
  });
  next.on("room:membership", ({ room: name, member, change }) => {
    if (name !== room) return;
    if (change === "joined") members.set(member.id, member);
    else members.delete(member.id);
    renderMembers();
    note(`${member.name} ${change}`);
  });
  next.on("typing:update", ({ room: name, typing }) => {
    if (name !== room) return;
    const names = typing.filter((m) => me === null || m.id !== me.id).map((m) => m.name);
    const verb = names.length > 1 ? "are" : "is";
    ui.typing.textContent = names.length ? `${names.join(", ")} ${verb} typing…` : "";
  });
  next.on("presence:changed", ({ member }) => {
    if (members.has(member.id)) {
      members.set(member.id, member);
      renderMembers();
    }
  });
  // The server asks which messages we have (when we come back online) and re-sends the rest.
  next.on("message:delivery_check", ({ message_ids }, ack) => {
    const received = message_ids.filter((id) => shownMessage(id) !== null);
    ack({ received, read_up_to: received.at(-1) ?? null });
  });
}

async function relogin(name: string): Promise<void> {
  const result = await login(name);
  if (result === null) return;
  me = result.user;
  connect(result.token);
}

async function joinRoom(name: string, password: string | null): Promise<void> {
  const current = client;
  if (current === null) return;
  let joined: chat.RoomJoined;
  try {
    const payload: chat.JoinRoom = password ? { room: name, password } : { room: name };
    joined = await current.joinRoom(payload, { timeoutMs: REQUEST_TIMEOUT_MS });
  } catch (error) {
    failed("join", error);
    return;
  }
  if (room !== null && room !== joined.room) current.emitLeaveRoom({ room });
  clearRoom();
  room = joined.room;
  ui.roomTitle.textContent = `#${joined.room}`;
  ui.topic.textContent = joined.topic ?? "";
  for (const member of joined.members) members.set(member.id, member);
  renderMembers();
  for (const message of joined.history) showMessage(message);
  ui.older.hidden = joined.history.length < HISTORY_ON_JOIN; // a full page: maybe more
  enable([ui.text, ui.sendButton], true);
  ui.text.focus();
}

async function setPresence(status: chat.PresenceStatus): Promise<void> {
  if (client === null) return;
  try {
    const accepted = await client.setPresence({ status }, { timeoutMs: REQUEST_TIMEOUT_MS });
    ui.presence.value = accepted.status;
    if (me !== null) {
      me = { ...me, status: accepted.status };
      if (members.has(me.id)) {
        members.set(me.id, me);
        renderMembers();
      }
    }
  } catch (error) {
    failed("presence", error);
  }
}

// -- the forms --------------------------------------------------------------------

ui.login.addEventListener("submit", (event) => {
  event.preventDefault();
  void login(ui.name.value).then((result) => {
    if (result === null) return;
    me = result.user;
    room = null;
    clearRoom();
    connect(result.token);
  });
});

ui.join.addEventListener("submit", (event) => {
  event.preventDefault();
  void joinRoom(ui.room.value.trim(), ui.password.value || null);
});

ui.older.addEventListener("click", () => {
  const current = client;
  if (current === null || room === null) return;
  const oldest = ui.log.querySelector<HTMLElement>(".message")?.dataset["sentAt"];
  const request: chat.FetchHistory = { room, limit: HISTORY_ON_JOIN };
  if (oldest !== undefined) request.before = oldest;
  current.fetchHistory(request, { timeoutMs: REQUEST_TIMEOUT_MS }).then(
    (page) => {
      const anchor = ui.older.nextSibling; // older messages go above the ones shown
      for (const message of page.messages) {
        if (shownMessage(message.id) === null) showMessage(message, anchor);
      }
      ui.older.hidden = !page.has_more;
    },
    (error: unknown) => failed("history", error),
  );
});

let typingTimer: ReturnType<typeof setTimeout> | null = null;

function stopTyping(): void {
  if (typingTimer === null) return;
  clearTimeout(typingTimer);
  typingTimer = null;
}

ui.text.addEventListener("input", () => {
  const current = client;
  const shown = room;
  if (current === null || shown === null) return;
  if (typingTimer === null) current.emitTyping({ room: shown, active: true });
  else clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingTimer = null;
    current.emitTyping({ room: shown, active: false });
  }, TYPING_IDLE_MS);
});

ui.send.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.text.value.trim();
  if (client === null || room === null || !text) return;
  ui.text.value = "";
  stopTyping(); // the server clears our typing state when the message is posted
  const message: chat.SendMessage = { room, client_ref: uuid(), content: { kind: "text", text } };
  client.sendMessage(message, { timeoutMs: REQUEST_TIMEOUT_MS }).catch((error: unknown) => {
    failed("send", error);
    if (!ui.text.value) ui.text.value = text; // give the text back to retry
  });
});

function isPresence(value: string): value is chat.PresenceStatus {
  return (PRESENCE as readonly string[]).includes(value);
}

ui.presence.addEventListener("change", () => {
  if (isPresence(ui.presence.value)) void setPresence(ui.presence.value);
});

// Away while the tab is hidden; coming back online makes the server catch us up.
document.addEventListener("visibilitychange", () => {
  const manual = ui.presence.value === "busy" || ui.presence.value === "invisible";
  if (client?.socket.connected && !manual) void setPresence(document.hidden ? "away" : "online");
});
