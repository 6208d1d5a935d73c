// Booking across the spring daylight-saving change (2 AM, Sunday, March 8, 2026 in Chicago). A
// second server whose business clock starts on Friday, March 6 offers the week ahead; every time
// the page labels, on either side of the change, is the instant it stores.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOTS, chicagoTime, demoShop, hydrated, noSidewaysScroll, uniqueEmail } from './helpers.mjs';

/** 2:00 AM CST on March 8, 2026: the clocks jump to 3:00 AM CDT. */
const CHANGE = Date.UTC(2026, 2, 8, 8);

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

test('a customer books across the daylight-saving change and the time shown is the time stored', async ({ browser, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  test.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'opsquad-dst-'));
  const db = join(dir, 'dst.db');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.env.OPSQUAD_E2E_BIN, ['serve'], {
    cwd: '..',
    stdio: 'ignore',
    env: {
      ...process.env, OPSQUAD_ENV: 'local', OPSQUAD_ADDR: `127.0.0.1:${port}`, DATABASE_URL: `sqlite://${db}`,
      OPSQUAD_PAYMENTS__PUBLIC_URL: base, OPSQUAD_SERVER__CLOCK_START: '2026-03-06T15:00:00Z', RUST_LOG: 'warn',
    },
  });
  try {
    await expect.poll(async () => {
      try {
        return (await fetch(`${base}/readyz`)).status;
      } catch {
        return 0;
      }
    }, { timeout: 30_000 }).toBe(200);
    const shop = demoShop(db);
    const auth = { Authorization: `Bearer ${shop.api_key}` };
    const published = await request.put(`${base}/api/v1/channels/booking`, { headers: auth, data: { enabled: true, days_ahead: 7 } });
    expect(published.status()).toBe(200);
    const path = new URL((await published.json()).url).pathname;

    const customer = await (await browser.newContext()).newPage();
    await customer.goto(`${base}${path}`);
    await hydrated(customer);
    await customer.getByRole('button', { name: /Furnace repair/ }).click();
    await expect(customer.getByTestId('time').first()).toBeVisible();
    const more = customer.getByRole('button', { name: /Show \d+ more days/ });
    if (await more.count()) await more.click();
    const offered = await customer.getByTestId('time').evaluateAll((buttons) =>
      buttons.map((b) => ({ at: Number(b.dataset.startsAt), label: b.textContent.trim() })));

    // Both sides of the change are offered, each labelled with its own offset.
    const before = offered.filter((t) => t.at < CHANGE);
    const after = offered.filter((t) => t.at > CHANGE);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const t of offered) expect(t.label).toBe(chicagoTime(t.at));
    expect(before.every((t) => t.label.endsWith('CST'))).toBe(true);
    expect(after.every((t) => t.label.endsWith('CDT'))).toBe(true);
    // The working day starts at the same hour on the clock on both sides: an hour apart in UTC.
    const firstOf = (times) => times.reduce((a, b) => (a.at < b.at ? a : b));
    const monday = after.filter((t) => new Date(t.at).getUTCDate() === 9);
    expect(firstOf(monday).label).toBe('8:00 AM CDT');
    expect(new Date(firstOf(monday).at).getUTCHours()).toBe(13);

    // The customer books the Monday morning after the change.
    const chosen = firstOf(monday);
    await customer.locator(`[data-testid="time"][data-starts-at="${chosen.at}"]`).click();
    await customer.getByLabel('Your name').fill('Dell Savings');
    await customer.getByLabel('Email').fill(uniqueEmail('dst'));
    await customer.getByLabel('Street address').fill('8 Spring Ave');
    await customer.getByLabel('ZIP code').fill('62704');
    await customer.getByTestId('confirm').click();
    await expect(customer.getByTestId('booked')).toContainText("You're booked.");
    await expect(customer.getByTestId('booked-when')).toContainText('8:00 AM');
    await customer.screenshot({ path: `${SHOTS}booking-dst.png`, fullPage: true });
    await customer.setViewportSize({ width: 375, height: 812 });
    await noSidewaysScroll(customer);

    const leads = await (await request.get(`${base}/api/v1/leads`, { headers: auth })).json();
    const lead = leads.find((l) => l.channel === 'booking_page' && l.customer_name === 'Dell Savings');
    const detail = await (await request.get(`${base}/api/v1/leads/${lead.id}`, { headers: auth })).json();
    expect(detail.appointments[0].starts_at).toBe(chosen.at);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
