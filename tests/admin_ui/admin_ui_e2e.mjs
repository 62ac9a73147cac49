// The official Admin UI in headless chromium, against runtime's instrument().
// argv: chromium path, server origin, screenshot path. Prints one JSON line.
import { chromium } from "playwright-core";
import { io } from "socket.io-client";

const [executablePath, origin, screenshot] = process.argv.slice(2);
const STEP = 20000;
const result = { steps: [] };
const step = (name, detail = {}) => result.steps.push({ name, ...detail });

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let user;
try {
  // A client of the application, over polling then websocket, that the UI must list.
  user = io(origin, { transports: ["polling", "websocket"], reconnection: false });
  await new Promise((resolve, reject) => {
    user.once("connect", resolve);
    user.once("connect_error", reject);
  });
  const ack = await user.timeout(STEP).emitWithAck("hello", { from: "node" });
  step("user connected", { sid: user.id, ack });

  const context = await browser.newContext();
  // The UI reads its server from localStorage and connects on load.
  await context.addInitScript((url) => localStorage.setItem("server_url", url), origin);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${origin}/admin-ui/#/sockets`);
  await page.getByText(user.id).first().waitFor({ timeout: STEP });
  step("socket listed", { sid: user.id });

  await page.goto(`${origin}/admin-ui/#/rooms`);
  await page.getByText("greeters").first().waitFor({ timeout: STEP });
  step("room listed", { room: "greeters" });

  await page.goto(`${origin}/admin-ui/#/servers`);
  await page.getByText("runtime-under-test").first().waitFor({ timeout: STEP });
  step("server listed", { serverId: "runtime-under-test" });
  await page.screenshot({ path: screenshot, fullPage: true });
  result.pageErrors = errors;
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = String(err && err.stack ? err.stack : err);
} finally {
  if (user) user.close();
  await browser.close();
}
console.log(JSON.stringify(result));
