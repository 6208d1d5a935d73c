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

/** Opsquad's own mail to `to` (sign-up confirmation), raw, as the SMTP server kept it (scripts/e2e). */
export function accountMailTo(to) {
  const dir = process.env.OPSQUAD_E2E_ACCOUNT_MAIL_DIR;
  const letters = [];
  for (const sub of ['new', 'cur']) {
    let names = [];
    try { names = readdirSync(join(dir, sub)); } catch { continue; }
    letters.push(...names.map((name) => readFileSync(join(dir, sub, name), 'utf8')));
  }
  return letters.filter((raw) => raw.includes(`To: ${to}`));
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

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A real IMAP server (pymap, user demouser / demopass) and SMTP server (aiosmtpd, same login) on
 * 127.0.0.1, installed by scripts/setup: the shop's mailbox in the email journeys. Call stop().
 */
export async function startMailPeers() {
  const { spawn } = await import('node:child_process');
  const { homedir } = await import('node:os');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const home = process.env.OPSQUAD_HOME ?? join(homedir(), '.cache/opsquad');
  const bin = (name) => join(home, 'mailpeers/bin', name);
  const [imapPort, smtpPort] = [await freePort(), await freePort()];
  const maildir = mkdtempSync(join(tmpdir(), 'opsquad-mail-'));
  const imap = spawn(bin('pymap'), ['--no-service', 'admin', '--host', '127.0.0.1', '--port', String(imapPort), 'dict'], { stdio: 'ignore' });
  const script = new URL('../../server/tests/peers/smtp_peer.py', import.meta.url).pathname;
  const smtp = spawn(bin('python'), [script, String(smtpPort), 'demouser', 'demopass', maildir], { stdio: ['pipe', 'ignore', 'ignore'] });
  const { connect } = await import('node:net');
  const answers = (port) => new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
  for (const port of [imapPort, smtpPort]) {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await answers(port);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error(`the mail test server on ${port} did not start: run scripts/setup`);
  }
  return { imapPort, smtpPort, maildir, stop: () => { imap.kill(); smtp.kill(); } };
}

/**
 * A real CalDAV server (Radicale, installed by scripts/setup) on 127.0.0.1 with htpasswd sign-in:
 * one user per entry of `users` ({ name: password }), each with an empty `work` calendar. Call stop().
 */
export async function startCalDav(users) {
  const { spawn } = await import('node:child_process');
  const { homedir, tmpdir } = await import('node:os');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const home = process.env.OPSQUAD_HOME ?? join(homedir(), '.cache/opsquad');
  const dir = mkdtempSync(join(tmpdir(), 'opsquad-caldav-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users'), Object.entries(users).map(([u, p]) => `${u}:${p}\n`).join(''));
  writeFileSync(join(dir, 'config'), [
    '[server]', `hosts = 127.0.0.1:${port}`,
    '[auth]', 'type = htpasswd', `htpasswd_filename = ${join(dir, 'users')}`, 'htpasswd_encryption = plain',
    '[storage]', `filesystem_folder = ${join(dir, 'data')}`,
    '[logging]', 'level = warning', '',
  ].join('\n'));
  const server = spawn(join(home, 'mailpeers/bin/radicale'), ['-C', join(dir, 'config')], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const call = (method, user, path, body) => fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}`, 'Content-Type': 'text/calendar' },
    body,
  });
  for (let i = 0; i < 100; i++) {
    try { await fetch(base); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  for (const user of Object.keys(users)) {
    const made = await call('MKCALENDAR', user, `/${user}/work/`);
    if (made.status !== 201) throw new Error(`Radicale did not make ${user}'s calendar: ${made.status}; run scripts/setup`);
  }
  const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return {
    base,
    /** Puts something of the user's own on their calendar, [start, end) in Unix ms. */
    async busy(user, uid, summary, start, end) {
      const body = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//e2e//EN', 'BEGIN:VEVENT', `UID:${uid}`,
        `DTSTAMP:${stamp(start)}`, `DTSTART:${stamp(start)}`, `DTEND:${stamp(end)}`, `SUMMARY:${summary}`,
        'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
      const put = await call('PUT', user, `/${user}/work/${uid}.ics`, body);
      if (put.status !== 201) throw new Error(`could not add ${uid}: ${put.status}`);
    },
    /** The event Opsquad wrote for `appointmentId`, or null. */
    async visit(user, appointmentId) {
      const got = await call('GET', user, `/${user}/work/opsquad-${appointmentId}.ics`);
      return got.status === 200 ? got.text() : null;
    },
    stop: () => server.kill(),
  };
}
