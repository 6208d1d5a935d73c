// A booked customer's private manage link: a stranger who knows the customer's email cannot touch
// the booking; the customer on file gets a link that opens their booking, works once, and lets
// them cancel or ask for another time — on a desktop and on a phone.
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, linkDeliveredTo, noSidewaysScroll, postInbound, uniqueEmail } from './helpers.mjs';

const FURNACE = 'Our furnace stopped working last night and the house is 55 degrees. Can someone come today? 1420 Walnut St, Springfield IL 62704';

/** A booked customer, then a stranger writing with their email: the link the customer is sent. */
async function linkAfterAStrangerWrites(request, key, tag) {
  const email = uniqueEmail(tag);
  const id = await postInbound(request, key, {
    channel: 'email', from: { name: 'Dana Price', email }, body: FURNACE, sender_verified: true,
  });
  await leadWhen(request, key, id, (l) => l.stage === 'booked');
  await postInbound(request, key, { channel: 'form', from: { email }, body: 'Cancel my appointment please' });
  // The stored message holds a placeholder; the link exists only in what was delivered.
  const lead = await leadWhen(request, key, id, (l) => l.messages.some((m) => m.body.includes('[private link]')));
  expect(lead.stage).toBe('booked');
  return { id, path: await linkDeliveredTo(email, 'manage') };
}

test('a customer asks for another time through their private link, once', async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const { api_key: key } = demoShop();
  const { id, path } = await linkAfterAStrangerWrites(request, key, 'mover');

  await page.goto(path);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Hello Dana Price' })).toBeVisible();
  await expect(page.getByTestId('booking')).toContainText('Furnace');
  await page.screenshot({ path: `${SHOTS}manage-page.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}manage-page-phone.png`, fullPage: true });

  await page.getByLabel('Need another time, or anything else? Write to us').fill('Could you come Thursday afternoon instead?');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('done')).toContainText('your message was received');
  await leadWhen(request, key, id, (l) => l.messages.some((m) => m.sender_proof === 'manage_link'));

  await page.reload();
  await expect(page.getByRole('heading', { name: 'This link no longer works' })).toBeVisible();
});

test('a customer cancels their booking through their private link', async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const { api_key: key } = demoShop();
  const { id, path } = await linkAfterAStrangerWrites(request, key, 'leaver');

  await page.goto(path);
  await hydrated(page);
  await page.getByRole('button', { name: 'Cancel my booking' }).click();
  await expect(page.getByTestId('done')).toHaveText('Your booking is cancelled.');
  await leadWhen(request, key, id, (l) => l.appointments[0].status === 'cancelled');
});
