// Card payments through the shop's own Stripe account: the owner connects Stripe from Settings,
// the customer pays the invoice on Stripe's checkout page (a local Stripe peer, started by
// scripts/e2e, which also delivers its signed webhooks to this server), the pay page turns to
// "Paid in full" when Stripe's confirmation lands, and the owner sees the payment with a link to
// their Stripe dashboard and the money on the usage page.
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, linkDeliveredTo, logIn, noSidewaysScroll, uniqueEmail } from './helpers.mjs';

test.skip(!process.env.OPSQUAD_E2E_STRIPE_PORT, 'the Stripe peer is started by scripts/e2e');

test('an owner connects Stripe and a customer pays the invoice by card', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const shop = demoShop();
  const auth = { Authorization: `Bearer ${shop.api_key}` };

  // The owner connects the shop's Stripe account.
  await logIn(page, shop.owner_email, shop.password);
  await page.goto('/app/settings');
  await hydrated(page);
  const cards = page.getByRole('region', { name: 'Card payments' });
  await expect(cards.getByTestId('connect-stripe')).toBeVisible();
  await cards.screenshot({ path: `${SHOTS}settings-stripe-choices.png` });
  await cards.getByTestId('connect-stripe').click();
  await expect(page.getByRole('heading', { name: 'Connect your Stripe account' })).toBeVisible();
  await page.getByRole('button', { name: 'Connect my Stripe account' }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  await expect(page.getByTestId('stripe-outcome')).toHaveText('Stripe is connected: customers can now pay invoices by card, into your Stripe account.');
  const connected = page.getByTestId('stripe-connected');
  await expect(connected).toContainText('Connected');
  await expect(connected).toContainText('Test mode');
  await expect(connected).not.toContainText('sk_test');
  await cards.screenshot({ path: `${SHOTS}settings-stripe-connected.png` });
  await page.setViewportSize({ width: 375, height: 800 });
  await noSidewaysScroll(page);
  await cards.screenshot({ path: `${SHOTS}settings-stripe-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // A job is booked, done and billed; the invoice goes to the customer with its pay link.
  const email = uniqueEmail('card');
  const inbound = await request.post('/api/v1/inbound', {
    headers: auth,
    data: {
      channel: 'email', from: { name: 'Jordan Reyes', email }, subject: 'No heat',
      body: 'Our furnace stopped working last night and the house is 55 degrees. Can someone come today? 1420 Walnut St, Springfield IL 62704',
    },
  });
  expect(inbound.status()).toBe(202);
  const { lead_id: id } = await inbound.json();
  const booked = await leadWhen(request, shop.api_key, id, (l) => l.stage === 'booked');
  expect((await request.post(`/api/v1/appointments/${booked.appointments[0].id}/complete`, { headers: auth })).status()).toBe(200);
  const invoiced = await leadWhen(request, shop.api_key, id, (l) => l.stage === 'invoiced');
  const invoiceId = invoiced.invoices[0].id;
  const link = await linkDeliveredTo(email, 'pay');

  // The customer, in their own browser, pays on Stripe's page; a declined card is said so there.
  const customer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await customer.goto(link);
  await hydrated(customer);
  const total = (await customer.getByTestId('total').textContent()).trim();
  expect(total).toMatch(/^\$\d[\d,]*\.\d\d$/);
  await expect(customer.getByText('Test mode: no card is charged')).toHaveCount(0);
  await customer.screenshot({ path: `${SHOTS}pay-page-card.png`, fullPage: true });
  await customer.getByTestId('pay-by-card').click();
  await expect(customer.getByRole('heading', { name: `Pay ${total}` })).toBeVisible();
  await customer.getByLabel('Card number').fill('4000 0000 0000 0002');
  await customer.getByRole('button', { name: `Pay ${total}` }).click();
  await expect(customer.getByRole('alert')).toHaveText('Your card was declined.');
  await customer.getByLabel('Card number').fill('4242 4242 4242 4242');
  await customer.getByLabel('Expiry').fill('12 / 34');
  await customer.getByLabel('CVC').fill('123');
  await customer.getByRole('button', { name: `Pay ${total}` }).click();

  // Back on the shop's page, it turns to paid once Stripe's signed confirmation is processed.
  await expect(customer).toHaveURL(/\/pay\/[\w-]+\?card=done$/);
  await expect(customer.getByTestId('paid')).toHaveText('Paid in full — thank you!', { timeout: 20_000 });
  await leadWhen(request, shop.api_key, id, (l) => l.stage === 'paid' && l.invoices[0].status === 'paid');
  await customer.setViewportSize({ width: 375, height: 812 });
  await customer.reload();
  await hydrated(customer);
  await expect(customer.getByTestId('paid')).toBeVisible();
  await noSidewaysScroll(customer);
  await customer.screenshot({ path: `${SHOTS}pay-page-card-paid-phone.png`, fullPage: true });
  await customer.close();

  // The owner's board shows it paid; the invoice shows the card payment, its Stripe id and where
  // to open it in Stripe.
  await page.goto('/app/board');
  await hydrated(page);
  await expect(page.locator('[data-stage="paid"]').getByText('Jordan Reyes')).toBeVisible();
  await page.goto(`/app/invoices/${invoiceId}`);
  await hydrated(page);
  const payments = page.getByTestId('payments');
  await expect(payments).toContainText(`${total} · card`);
  await expect(payments).toContainText('pi_');
  await expect(payments.getByTestId('stripe-dashboard-link')).toHaveAttribute('href', /^https:\/\/dashboard\.stripe\.com\/test\/payments\/pi_\w+$/);
  await page.screenshot({ path: `${SHOTS}invoice-paid-by-card.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}invoice-paid-by-card-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/app/usage');
  await hydrated(page);
  await expect(page.getByTestId('usage-tile').filter({ hasText: 'Money collected' })).toContainText('by card through Stripe');
  await page.screenshot({ path: `${SHOTS}usage-money-collected.png`, fullPage: true });

  // The owner can disconnect Stripe again; Settings then offers to connect it.
  await page.goto('/app/settings');
  await hydrated(page);
  await cards.getByRole('button', { name: 'Disconnect Stripe' }).click();
  await expect(cards.getByTestId('connect-stripe')).toBeVisible();
});
