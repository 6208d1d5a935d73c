import { expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHOTS = new URL('../screenshots/', import.meta.url).pathname;

/** Waits until the wasm bundle has hydrated the server-rendered page. */
export async function hydrated(page) {
  await expect(page.locator('#app')).toHaveAttribute('data-hydrated', 'true');
}

/** A time as the booking page labels it, in the demo shop's zone: "10:00 AM CST". */
export function chicagoTime(ms) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Chicago', hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part('hour')}:${part('minute')} ${part('dayPeriod')} ${part('timeZoneName')}`;
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export async function signUp(page, { business, name, email, password }) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Business name').fill(business);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // A new owner lands on the set-up wizard.
  await expect(page).toHaveURL(/\/app\/setup$/);
  await expect(page.getByTestId('org-name')).toHaveText(business);
  await expect(page.getByTestId('wizard-step')).toHaveText('Your business');
}

export async function logIn(page, email, password) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/app$/);
}

/** The page's document is no wider than the viewport (nothing sideways on a phone). */
export async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

export async function postInbound(request, key, data) {
  const response = await request.post('/api/v1/inbound', { headers: { Authorization: `Bearer ${key}` }, data });
  expect(response.status()).toBe(202);
  return (await response.json()).lead_id;
}

/** `opsquad demo` against the e2e database (or the one at `db`): the demo shop and a fresh API key. */
export function demoShop(db = process.env.OPSQUAD_E2E_DB) {
  const out = execFileSync(process.env.OPSQUAD_E2E_BIN, ['demo'], {
    cwd: '..',
    env: { ...process.env, OPSQUAD_ENV: 'local', DATABASE_URL: `sqlite://${db}`, RUST_LOG: 'error' },
  }).toString();
  return JSON.parse(out.slice(out.indexOf('{')));
}

export async function leadWhen(request, key, id, ready) {
  let lead;
  await expect.poll(async () => {
    lead = await (await request.get(`/api/v1/leads/${id}`, { headers: { Authorization: `Bearer ${key}` } })).json();
    return ready(lead);
  }, { timeout: 20_000 }).toBe(true);
  return lead;
}


/** The messages the server delivered to `to`, as its outbox folder holds them (scripts/e2e). */
export function deliveredTo(to) {
  const dir = process.env.OPSQUAD_E2E_OUTBOX;
  let names = [];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8'))).filter((m) => m.to === to);
}

/** Waits until a message delivered to `to` has a link to `page` (`manage`, `pay`); its path. */
export async function linkDeliveredTo(to, page) {
  const pattern = new RegExp(`https?://\\S+/${page}/[\\w-]+`);
  let found;
  await expect.poll(() => {
    found = deliveredTo(to).map((m) => m.body.match(pattern)).find(Boolean);
    return Boolean(found);
  }, { timeout: 20_000 }).toBe(true);
  return new URL(found[0]).pathname;
}
