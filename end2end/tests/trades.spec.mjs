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
  const kind = page.getByLabel('Kind of work');
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
  await page.screenshot({ path: `${SHOTS}wizard-catalogue.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}wizard-catalogue-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Continue' }).click();

  // The technician is offered the kinds of work on the price list.
  await expect(page.getByTestId('wizard-step')).toHaveText('Technicians');
  await expect(page.getByLabel('EV chargers')).toBeChecked();
  await page.getByLabel("Technician's name").fill('Eli Watts');
  await page.getByRole('button', { name: 'Add technician' }).click();
  await expect(page.getByTestId('technicians')).toContainText('EV chargers');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('wizard-step')).toHaveText('Connections');
  await page.getByRole('button', { name: 'Skip for now' }).click();

  // The sample inquiry asks for this shop's work, where it works, and is booked.
  await expect(page.getByTestId('wizard-step')).toHaveText('Test inquiry');
  await expect(page.getByLabel('What the customer writes')).toHaveValue(/ev charger install.*61602/);
  await page.getByRole('button', { name: 'Send it' }).click();
  await expect(page.locator('[data-stage="booked"]').getByTestId('lead-card')).toHaveCount(1, { timeout: 20_000 });
});
