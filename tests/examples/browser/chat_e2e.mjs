// Two headless chromium pages chat through the example's web page (examples/chat/web:
// TypeScript on the generated client, bundled into static/index.html).
//
//   node chat_e2e.mjs URL OUT_DIR
//
// Prints one JSON line per observation ({"step": ...}); the last is {"step": "done"}.
// Every wait is bounded; a failure prints {"step": "error", ...} and exits 1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [url, outDir] = process.argv.slice(2);
const WAIT = 15000;
const ROOM = "e2e-room";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const out = (fields) => process.stdout.write(JSON.stringify(fields) + "\n");

// What a page loaded over HTTP besides the Socket.IO endpoint (the bundle is inline).
function watch(page) {
  const seen = { errors: [], requests: new Set() };
  page.on("pageerror", (err) => seen.errors.push(String(err)));
  page.on("console", (msg) => { if (msg.type() === "error") seen.errors.push(msg.text()); });
  page.on("request", (request) => {
    const { pathname } = new URL(request.url());
    if (!pathname.startsWith("/socket.io/")) seen.requests.add(pathname);
  });
  return seen;
}

async function joinRoom(page, room, password = "") {
  await page.fill("#room", room);
  await page.fill("#password", password);
  await page.click("#join-button");
  await page.waitForFunction(
    (name) => document.getElementById("room-title").textContent === "#" + name,
    room, { timeout: WAIT },
  );
}

async function login(page, name) {
  const seen = watch(page);
  await page.goto(url + "/", { timeout: WAIT });
  await page.fill("#name", name);
  await page.click("#login button");
  await page.waitForFunction(
    (who) => document.getElementById("status").textContent === `connected as ${who}`,
    name, { timeout: WAIT },
  );
  return seen;
}

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent));

async function main() {
  const profile = mkdtempSync(join(tmpdir(), "chat-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 1000, height: 640 },
    timeout: WAIT,
  });
  try {
    const alice = await context.newPage();
    const bob = await context.newPage();
    const aliceSeen = await login(alice, "alice");
    // Alice opens a room with a password, then moves on (the page emits room:leave).
    await joinRoom(alice, "vault", "s3cret");
    await joinRoom(alice, ROOM);
    const bobSeen = await login(bob, "bob");
    await joinRoom(bob, ROOM);
    await alice.waitForFunction(
      () => [...document.querySelectorAll("#members li")].some((li) => li.textContent === "bob"),
      null, { timeout: WAIT },
    );
    out({ step: "members", alice: await texts(alice, "#members li"), bob: await texts(bob, "#members li") });

    await bob.type("#text", "hello from bob");
    await alice.waitForFunction(
      () => document.getElementById("typing").textContent.includes("bob is typing"),
      null, { timeout: WAIT },
    );
    out({ step: "typing", alice: await alice.textContent("#typing") });

    await bob.click("#send-button");
    const arrived = (text) => [...document.querySelectorAll("#log .message .text")].some((e) => e.textContent === text);
    await alice.waitForFunction(arrived, "hello from bob", { timeout: WAIT });
    await bob.waitForFunction(arrived, "hello from bob", { timeout: WAIT });
    await alice.waitForFunction(() => document.getElementById("typing").textContent === "", null, { timeout: WAIT });
    out({
      step: "message",
      alice: await texts(alice, "#log .message .who, #log .message .text"),
      bob_input: await bob.inputValue("#text"),
    });

    await alice.fill("#text", "hi bob, welcome");
    await alice.press("#text", "Enter");
    await bob.waitForFunction(arrived, "hi bob, welcome", { timeout: WAIT });
    // React to bob's message from alice's page; both pages show the count.
    await alice.click("#log .message .reactions button");
    const counted = () => [...document.querySelectorAll("#log .message .reactions button")].some((b) => b.textContent.endsWith(" 1"));
    await bob.waitForFunction(counted, null, { timeout: WAIT });
    out({ step: "reply", bob: await texts(bob, "#log .message .text"), log: await texts(bob, "#log .notice") });

    // Presence: bob goes away, alice's member list shows it.
    await bob.selectOption("#presence", "away");
    await alice.waitForFunction(
      () => [...document.querySelectorAll("#members li")].some((li) => li.title === "away" && li.textContent === "bob"),
      null, { timeout: WAIT },
    );
    out({ step: "away", alice: await alice.$$eval("#members li", (els) => els.map((li) => [li.textContent, li.title])) });

    // Catch-up: bob's page "loses" alice's message; back online, the server's delivery
    // check finds it missing from the page's receipt and sends it again.
    // The page's DOM is its record of what it received.
    await bob.evaluate(() => {
      const texts = [...document.querySelectorAll("#log .message .text")];
      texts.find((el) => el.textContent === "hi bob, welcome").closest(".message").remove();
    });
    await bob.selectOption("#presence", "online");
    await bob.waitForFunction(arrived, "hi bob, welcome", { timeout: WAIT });
    out({ step: "caught_up", bob: await texts(bob, "#log .message .text") });

    // An error ack: the generated client rejects with AckError and the page shows it.
    await bob.fill("#room", "vault");
    await bob.fill("#password", "wrong");
    await bob.click("#join-button");
    await bob.waitForSelector("#log .error", { timeout: WAIT });
    out({
      step: "error_ack",
      bob: await texts(bob, "#log .error"),
      room: await bob.textContent("#room-title"),
      members: await texts(alice, "#members li"),
    });

    await alice.screenshot({ path: join(outDir, "alice.png") });
    await bob.screenshot({ path: join(outDir, "bob.png") });
    out({ step: "errors", alice: aliceSeen.errors, bob: bobSeen.errors });
    out({ step: "requests", alice: [...aliceSeen.requests].sort(), bob: [...bobSeen.requests].sort() });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  out({ step: "done" });
}

main().catch((err) => {
  out({ step: "error", error: String(err && err.stack || err) });
  process.exit(1);
});
