// Texting through the shop's own Twilio number: the owner connects it in Settings (a wrong Auth
// Token is caught before anything is kept) and sends a test text; a customer texts the shop and
// the squad answers by text; a missed call is texted back; STOP ends the texts. Twilio is a local
// peer (scripts/e2e starts it) that signs what it sends to this server as Twilio does.
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, logIn, noSidewaysScroll } from './helpers.mjs';

test.skip(!process.env.OPSQUAD_E2E_TWILIO_PORT, 'the Twilio peer is started by scripts/e2e');

const twilio = `http://127.0.0.1:${process.env.OPSQUAD_E2E_TWILIO_PORT}`;

async function textsTo(request, number) {
  const all = await (await request.get(`${twilio}/peer/texts`)).json();
  return all.texts.filter((t) => t.to === number).map((t) => t.body);
}

test('an owner connects Twilio, and customers who text or call get answers by text', async ({ page, request }) => {
  test.setTimeout(120_000);
  const shop = demoShop();
  await logIn(page, shop.owner_email, shop.password);
  await page.goto('/app/settings');
  await hydrated(page);
  const texting = page.getByRole('region', { name: 'Text messages' });
  await texting.getByLabel('Account SID').fill('AC0123456789abcdef0123456789abcdef');
  await texting.getByLabel('Auth Token').fill('not-the-token');
  await texting.getByLabel('Your Twilio number').fill('(217) 555-0100');
  await texting.getByLabel('Ring this phone when customers call (optional)').fill('217 555 0199');
  await texting.getByRole('button', { name: 'Connect texting' }).click();
  await expect(texting.getByText('Twilio did not accept this Account SID and Auth Token.')).toBeVisible();
  await texting.screenshot({ path: `${SHOTS}settings-texting-refused.png` });
  await texting.getByLabel('Auth Token').fill('e2e-twilio-auth-token');
  // The shop's texting is registered with carriers through a Messaging Service.
  await texting.getByText('Send through a Messaging Service (optional)').click();
  await texting.getByLabel('Messaging Service SID').fill('MG5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e');
  await texting.getByRole('button', { name: 'Connect texting' }).click();
  const connected = texting.getByTestId('sms-connected');
  await expect(connected).toContainText('Texting from +12175550100');
  await expect(connected).toContainText('Calls ring +12175550199');
  await expect(connected).toContainText('Texts go out through your Messaging Service MG5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e.');
  await expect(connected).not.toContainText('e2e-twilio-auth-token');

  await texting.getByLabel('Send a test text to').fill('217-555-0177');
  await texting.getByRole('button', { name: 'Send a test text' }).click();
  await expect(texting.getByTestId('sms-test-outcome')).toContainText('Twilio took the test text to +12175550177');
  expect((await textsTo(request, '+12175550177'))[0]).toContain('this is a test text from Opsquad');
  await texting.screenshot({ path: `${SHOTS}settings-texting-connected.png` });
  await page.setViewportSize({ width: 375, height: 800 });
  await noSidewaysScroll(page);
  await texting.screenshot({ path: `${SHOTS}settings-texting-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // A customer texts the shop's number; the squad answers by text and the lead is on the board.
  const customer = '+12175550161';
  const sent = await (await request.post(`${twilio}/peer/text`, {
    data: { from: customer, body: 'Hi, our AC stopped cooling this morning and it is 90 degrees inside. Can someone come today? 1420 Walnut St, Springfield IL 62704' },
  })).json();
  expect(sent.status).toBe(200);
  await expect.poll(async () => (await textsTo(request, customer)).length, { timeout: 20_000 }).toBeGreaterThan(0);
  const leads = await (await request.get('/api/v1/leads', { headers: { Authorization: `Bearer ${shop.api_key}` } })).json();
  const lead = leads.find((l) => l.channel === 'sms');
  await leadWhen(request, shop.api_key, lead.id, (l) => l.messages.some((m) => m.author === 'agent' && m.channel === 'sms'));
  await page.goto(`/app/leads/${lead.id}`);
  await hydrated(page);
  await expect(page.getByText('our AC stopped cooling this morning').first()).toBeVisible();
  await expect(page.getByText('Texted from your Twilio number').first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}lead-by-text.png`, fullPage: true });

  // A call nobody picks up is texted back, and opens a lead of its own.
  const caller = '+12175550151';
  const call = await (await request.post(`${twilio}/peer/call`, { data: { from: caller, answer: 'no-answer' } })).json();
  expect(call.rang).toBe('+12175550199');
  await expect.poll(async () => (await textsTo(request, caller)).join(' '), { timeout: 20_000 }).toContain('Sorry we missed your call!');
  // The lead's page lists the call; the usage report counts it.
  const board = await (await request.get('/api/v1/leads', { headers: { Authorization: `Bearer ${shop.api_key}` } })).json();
  const called = board.find((l) => l.channel === 'call');
  await page.goto(`/app/leads/${called.id}`);
  await hydrated(page);
  const calls = page.getByTestId('calls');
  await expect(calls).toContainText(`missed call from ${caller}; texted back`);
  await calls.screenshot({ path: `${SHOTS}lead-missed-call.png` });
  await page.goto('/app/usage');
  await hydrated(page);
  await expect(page.getByTestId('usage-calls')).toContainText('missed — ');

  // STOP ends every text to the number, and says so.
  const stop = await (await request.post(`${twilio}/peer/text`, { data: { from: customer, body: 'STOP' } })).json();
  expect(stop.body).toContain('you won&apos;t get any more texts from us');

  await page.goto('/app/settings');
  await hydrated(page);
  await texting.getByRole('button', { name: 'Disconnect texting' }).click();
  await expect(texting.getByLabel('Account SID')).toBeVisible();
});
