// Drives Debian's chromium through a standalone launch: log in, pick the patient if asked,
// untick one data type on the consent screen, allow, and print the test app's report.
// Usage: node standalone_launch.mjs LAUNCH_URL USERNAME PASSWORD PATIENT UNTICK_SCOPE SCREENSHOT_DIR
import { chromium } from "playwright-core";

const [launchUrl, username, password, patient, untick, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(launchUrl);
  await page.waitForSelector("input[name=username]");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.click("form.login button[type=submit]");
  await page.waitForSelector(`input[name=patient], button[name=decision][value=allow]`);
  if (await page.$("input[name=patient]")) {
    await page.check(`input[name=patient][value="${patient}"]`);
    await page.click("button[type=submit]");
  }
  await page.waitForSelector("button[name=decision][value=allow]");
  await page.screenshot({ path: `${shots}/consent.png`, fullPage: true });
  await page.uncheck(`input[name=scope][value="${untick}"]`);
  await page.click("button[name=decision][value=allow]");
  await page.waitForFunction(() => document.getElementById("result")?.textContent.length > 0);
  console.log(await page.textContent("#result"));
} finally {
  await browser.close();
}
