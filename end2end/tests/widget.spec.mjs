// The chat widget: the owner turns it on in Settings for their own site; a page on that site (a
// different origin, 127.0.0.2) pastes the snippet; a visitor chats there and gets the squad's
// reply; the lead is on the owner's board at once; the visitor books one of the times offered as
// buttons and the board moves it to Booked; the owner takes over and the squad goes quiet
// while the visitor sees that a person joined. A reload resumes the conversation.
import { test, expect } from '@playwright/test';
import { createServer } from 'node:http';
import { SHOTS, demoShop, hydrated, logIn, noSidewaysScroll } from './helpers.mjs';

/** A free port on 127.0.0.2, for the origin the owner allows before the site is up. */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.2', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('a visitor on the shop\'s own site chats, gets the squad\'s answer, books an offered time, and a person takes over', async ({ page, browser }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  test.setTimeout(120_000);
  const shop = demoShop();
  const port = await freePort();
  const origin = `http://127.0.0.2:${port}`;

  // The owner turns the chat on for their site and copies the snippet.
  await logIn(page, shop.owner_email, shop.password);
  await page.goto('/app/settings');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Chat widget' });
  await section.getByLabel('Show a chat on my website').check();
  await section.getByRole('button', { name: 'Save' }).click();
  await expect(section.locator('#allowed_origins-error')).toContainText('at least one site');
  await section.getByLabel('Your website addresses (one per line)').fill(origin);
  await section.getByRole('button', { name: 'Save' }).click();
  await expect(section.getByRole('link', { name: 'Try the chat window' })).toBeVisible();
  const snippet = await section.getByTestId('widget-snippet').inputValue();
  expect(snippet).toContain('data-widget="');
  await section.screenshot({ path: `${SHOTS}widget-settings.png` });

  const site = await new Promise((resolve) => {
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Springfield Heating</title></head>
<body style="font-family:sans-serif;margin:2rem"><h1>Springfield Heating &amp; Plumbing</h1><p>Family owned since 1998.</p>${snippet}</body></html>`);
    });
    server.listen(port, '127.0.0.2', () => resolve(server));
  });
  try {
    await page.goto('/app/board');
    await hydrated(page);
    await expect(page.getByTestId('live-status')).toHaveText('Live');

    // A visitor on the shop's site opens the chat and writes.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(origin);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const chat = visitor.frameLocator('iframe[title="Chat"]');
    await expect(chat.getByTestId('chat-business')).toHaveText(/Springfield/);
    await expect(chat.getByTestId('chat-send')).toBeEnabled();
    // Every state of the reply being written, as the window showed it (however brief).
    const frame = visitor.frames().find((f) => f.url().includes('/widget/'));
    await frame.evaluate(() => {
      window.drafts = [];
      new MutationObserver(() => {
        const draft = document.querySelector('[data-testid="chat-draft"]');
        const text = draft && draft.textContent.replace('▍', '').trim();
        if (text && text !== window.drafts.at(-1)) window.drafts.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await chat.getByTestId('chat-input').fill('Hi, this is Dana Reed. Our furnace stopped working this morning, no heat at all. We are at 12 Oak St, Springfield 62704.');
    await chat.getByTestId('chat-send').click();
    await expect(chat.locator('[data-from="visitor"]')).toHaveCount(1);
    // The reply showed as it was written, growing piece by piece, then the sent message took its place.
    const replies = chat.locator('[data-from="assistant"]');
    await expect(replies.first()).toBeVisible({ timeout: 30_000 });
    await expect(chat.getByTestId('chat-draft')).toHaveCount(0);
    const drafts = await frame.evaluate(() => window.drafts);
    expect(drafts.length).toBeGreaterThan(2);
    for (let i = 1; i < drafts.length; i++) expect(drafts[i].startsWith(drafts[i - 1])).toBe(true);
    expect((await replies.first().textContent()).trim().startsWith(drafts[0])).toBe(true);
    await visitor.screenshot({ path: `${SHOTS}widget-chat.png` });

    // The owner's board shows the conversation's lead, live.
    await expect(page.getByText('Dana Reed').first()).toBeVisible({ timeout: 15_000 });

    // The Scheduler offers times as buttons; the visitor taps one and is booked for exactly that time.
    const times = chat.getByTestId('chat-time');
    await expect(times.first()).toBeVisible({ timeout: 30_000 });
    expect(await times.count()).toBeGreaterThan(1);
    await expect(times.last()).toBeInViewport({ ratio: 1 });
    await visitor.screenshot({ path: `${SHOTS}widget-times.png` });
    const picked = (await times.nth(1).textContent()).trim();
    await times.nth(1).click();
    await expect(chat.locator('[data-from="visitor"]').nth(1)).toHaveText(picked);
    const confirmation = chat.locator('[data-from="assistant"]').last();
    await expect(confirmation).toContainText("You're booked for", { timeout: 15_000 });
    await expect(times).toHaveCount(0);
    // The window follows the conversation: the newest line is in view.
    await expect(confirmation).toBeInViewport({ ratio: 1 });
    // "Thu, Dec 3 · 10:00 AM CST" on the button; "Thursday, December 3 at 10:00 AM" in the confirmation.
    const [, day, time] = picked.match(/^\w+, (\w+ \d+) · (\d+:\d+ [AP]M)/);
    const said = await confirmation.textContent();
    expect(said).toContain(` at ${time}`);
    expect(said).toContain(day.split(' ')[1]);
    await visitor.screenshot({ path: `${SHOTS}widget-booked.png` });
    // The board moves the lead to Booked, live.
    await expect(page.locator('[data-stage="booked"]').getByText('Dana Reed')).toBeVisible({ timeout: 15_000 });

    // The visitor leaves an email so the shop can reach them after they close the page. This shop
    // has no mailbox connected, so the window promises only what is true: the team has it.
    await chat.getByTestId('chat-contact-open').click();
    await chat.getByTestId('chat-contact').fill('not an address');
    await chat.getByTestId('chat-contact-save').click();
    await expect(chat.getByTestId('chat-contact-form').getByRole('alert')).toContainText('phone number');
    await chat.getByTestId('chat-contact').fill('dana.reed@example.com');
    await chat.getByTestId('chat-contact-save').click();
    await expect(chat.getByTestId('chat-contact-left'))
      .toHaveText('The team has your email, dana.reed@example.com, to reach you if you leave this page.');
    await visitor.screenshot({ path: `${SHOTS}widget-contact.png` });

    // A reload on the site resumes the same conversation.
    await visitor.reload();
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    await expect(chat.locator('[data-from="visitor"]')).toHaveCount(2);
    await expect(chat.getByTestId('chat-contact-left')).toContainText('dana.reed@example.com');
    await expect(replies.first()).toBeVisible();
    // So does a second tab on the same site.
    const tab = await visitor.context().newPage();
    await tab.goto(origin);
    await tab.getByRole('button', { name: 'Chat with us' }).click();
    await expect(tab.frameLocator('iframe[title="Chat"]').locator('[data-from="visitor"]')).toHaveCount(2);
    await tab.close();

    // The owner takes over and answers; the visitor sees a person joined, and the squad says nothing more.
    await page.getByText('Dana Reed').first().click();
    await expect(page).toHaveURL(/\/app\/leads\//);
    await hydrated(page);
    await page.getByRole('button', { name: 'Take over' }).click();
    await expect(page.getByText("You're handling this conversation.")).toBeVisible();
    await expect(chat.getByTestId('person-joined')).toBeVisible({ timeout: 15_000 });
    await page.getByLabel('Your reply to the customer').fill('Hi Dana, this is Sam from the shop. Ana will call you when she is on her way.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect(chat.locator('[data-from="person"]')).toContainText('Sam from the shop', { timeout: 15_000 });
    const assistantLines = await replies.count();
    await chat.getByTestId('chat-input').fill('Great, thank you!');
    await chat.getByTestId('chat-send').click();
    await expect(chat.locator('[data-from="visitor"]')).toHaveCount(3);
    // Long enough for the squad's run to have answered if it were going to.
    await visitor.waitForTimeout(6_000);
    await expect(replies).toHaveCount(assistantLines);
    await visitor.screenshot({ path: `${SHOTS}widget-person-joined.png` });

    // The usage page counts the chat among where inquiries come from.
    await page.goto('/app/usage');
    await hydrated(page);
    await expect(page.getByTestId('usage-channels').getByTestId('channel-row').filter({ hasText: 'Chat' })).toBeVisible();

    // On a phone the chat fills the screen and nothing runs sideways.
    await visitor.setViewportSize({ width: 375, height: 740 });
    await visitor.screenshot({ path: `${SHOTS}widget-chat-phone.png` });
    const inner = visitor.frames().find((f) => f.url().includes('/widget/'));
    await noSidewaysScroll(inner);
  } finally {
    site.close();
  }
});

test('the chat window cannot be framed by a site the owner did not name', async ({ request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const shop = demoShop();
  const key = { Authorization: `Bearer ${shop.api_key}` };
  const put = await request.put('/api/v1/channels/widget', {
    headers: key, data: { enabled: true, allowed_origins: ['https://www.springfield-heating.example'] },
  });
  expect(put.status()).toBe(200);
  const org = (await put.json()).snippet.match(/data-widget="([^"]+)"/)[1];
  const window = await request.get(`/widget/${org}`);
  expect(window.headers()['content-security-policy']).toContain('frame-ancestors https://www.springfield-heating.example');
  expect(window.headers()['x-frame-options']).toBeUndefined();
  const app = await request.get('/login');
  expect(app.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  const off = await request.put('/api/v1/channels/widget', { headers: key, data: { enabled: false } });
  expect(off.status()).toBe(200);
  expect((await request.get(`/widget/${org}`)).headers()['content-security-policy']).toContain("frame-ancestors 'none'");
});
