// An electrician's first day: sign up, build the price list from the work catalogue in the wizard,
// and watch the squad book an EV charger job — at desktop and phone width.
import { test, expect } from '@playwright/test';
import { SHOTS, hydrated, noSidewaysScroll, signUp, uniqueEmail } from './helpers.mjs';

test('an electrician builds a price list from the catalogue and the squad books electrical work', async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, { business: 'Bright Spark Electric', name: 'Eli Watts', email: uniqueEmail('electric'), password: 'sparks fly upward' });
  await hydrated(page);
  await page.getByLabel('Time zone').selectOption('America/Chicago');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page.getByTestId('wizard-step')).toHaveText('Hours');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page.getByTestId('wizard-step')).toHaveText('Service area');
  await page.getByLabel('ZIP codes you serve').fill('61602, 61604, 61614');
  await page.getByRole('button', { name: 'Save and continue' }).click();

  // The catalogue, grouped by trade, narrowed by a customer's word.
  await expect(page.getByTestId('wizard-step')).toHaveText('Services and prices');
  const kind = page.getByLabel('Kind of work', { exact: true });
  await expect(kind.locator('optgroup[label="Electrical"] option')).toHaveCount(13);
  // A service needs its kind of work.
  await page.getByLabel('Service name').fill('EV charger install');
  await page.getByLabel('Price ($)').fill('450');
  await page.getByLabel('Duration (minutes)').fill('180');
  await page.getByRole('button', { name: 'Add service' }).click();
  await expect(page.getByText('Choose the kind of work, so the squad can match customers to it.')).toBeVisible();
  await page.getByLabel('Search the work catalogue').fill('charger');
  await expect(kind.locator('optgroup option')).toHaveCount(1);
  await kind.selectOption('ev_charger');
  await page.getByLabel('Service name').fill('EV charger install');
  await page.getByLabel('Price ($)').fill('450');
  await page.getByLabel('Duration (minutes)').fill('180');
  await page.getByRole('button', { name: 'Add service' }).click();
  await expect(page.getByTestId('services')).toContainText('EV charger install');

  // Work the catalogue does not list: the shop describes its own kind, with its customers' words.
  await page.getByText('Not in the catalogue? Describe your own kind of work').click();
  await page.getByLabel('Service name').fill('Hot tub hookup');
  await page.getByLabel('Price ($)').fill('600');
  await page.getByLabel('Duration (minutes)').fill('240');
  await kind.selectOption('');
  await page.getByLabel('Your kind of work').fill('Hot tub hookup');
  await page.getByRole('button', { name: 'Add service' }).click();
  await expect(page.getByText('Choose the trade.')).toBeVisible();
  await page.getByLabel('Trade', { exact: true }).selectOption('electrical');
  await page.getByLabel('Words customers use for it (separated by commas)').fill('hot tub, spa, jacuzzi');
  await page.getByRole('button', { name: 'Add service' }).click();
  await expect(page.getByTestId('services')).toContainText('Hot tub hookup');
  await page.screenshot({ path: `${SHOTS}wizard-catalogue.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}wizard-catalogue-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Continue' }).click();

  // The technician is offered the kinds of work on the price list.
  await expect(page.getByTestId('wizard-step')).toHaveText('Technicians');
  await expect(page.getByLabel('EV chargers')).toBeChecked();
  await expect(page.getByLabel('Hot tub hookup')).toBeChecked();
  await page.getByLabel("Technician's name").fill('Eli Watts');
  await page.getByRole('button', { name: 'Add technician' }).click();
  await expect(page.getByTestId('technicians')).toContainText('EV chargers');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('wizard-step')).toHaveText('Connections');
  await page.getByRole('button', { name: 'Continue' }).click();

  // The sample inquiry asks for this shop's work, where it works, and is booked.
  await expect(page.getByTestId('wizard-step')).toHaveText('Test inquiry');
  await expect(page.getByLabel('What the customer writes')).toHaveValue(/ev charger install.*61602/);
  await page.getByRole('button', { name: 'Send it' }).click();
  await expect(page.locator('[data-stage="booked"]').getByTestId('lead-card')).toHaveCount(1, { timeout: 20_000 });

  // How well the squad reads inquiries, measured on the frozen examples, from the Usage page.
  await page.goto('/app/usage');
  await page.getByRole('link', { name: /How accurately does the squad read inquiries/ }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Check the rules' }).click();
  const results = page.getByTestId('accuracy-results');
  await expect(results).toContainText('Bright Spark Electric (40)');
  await expect(results).toContainText('Life-safety messages sent to a person');
  await page.screenshot({ path: `${SHOTS}accuracy.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}accuracy-phone.png`, fullPage: true });
});
