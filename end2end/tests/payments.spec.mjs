// The customer's side of the pipeline: an inquiry is booked by the squad, the job is completed,
// the Invoice agent bills it, the shop passes on a pay link (links are minted only when a message
// is delivered or a person asks for one), and the customer pays on the hosted page (test mode).
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, uniqueEmail } from './helpers.mjs';

test('a customer pays the invoice the squad sent, on the hosted pay page', async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const { api_key: key } = demoShop();
  const auth = { Authorization: `Bearer ${key}` };
  const inbound = await request.post('/api/v1/inbound', {
    headers: auth,
    data: {
      channel: 'email', from: { name: 'Dana Price', email: uniqueEmail('payer') }, subject: 'No heat',
      body: 'Our furnace stopped working last night and the house is 55 degrees. We have a newborn. Can someone come today? 1420 Walnut St, Springfield IL 62704',
    },
  });
  expect(inbound.status()).toBe(202);
  const { lead_id: id } = await inbound.json();
  const booked = await leadWhen(request, key, id, (l) => l.stage === 'booked');
  const done = await request.post(`/api/v1/appointments/${booked.appointments[0].id}/complete`, { headers: auth });
  expect(done.status()).toBe(200);
  const invoiced = await leadWhen(request, key, id, (l) => l.stage === 'invoiced');
  const shared = await request.post(`/api/v1/invoices/${invoiced.invoices[0].id}/pay-link`, { headers: auth });
  expect(shared.status()).toBe(201);
  const link = new URL((await shared.json()).url);

  await page.goto(link.pathname);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Invoice INV-' })).toBeVisible();
  await expect(page.getByTestId('total')).toHaveText('$349.00');
  await page.screenshot({ path: `${SHOTS}pay-page.png`, fullPage: true });
  await page.getByRole('button', { name: 'Pay $349.00 (test mode)' }).click();
  await expect(page.getByTestId('paid')).toHaveText('Paid in full — thank you!');
  await leadWhen(request, key, id, (l) => l.stage === 'paid' && l.invoices[0].status === 'paid');

  await page.setViewportSize({ width: 375, height: 812 });
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('paid')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}pay-page-paid-phone.png`, fullPage: true });
});

test('a pay link that was never issued says so kindly', async ({ page }) => {
  await page.goto('/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await expect(page.getByRole('heading', { name: "We couldn't find this invoice" })).toBeVisible();
});
