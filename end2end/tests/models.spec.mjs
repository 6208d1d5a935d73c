// The settings page's "AI models" section: the owner sees each agent's default model and settings,
// a wrong value is shown next to its field and nothing is saved, a right one is kept.
import { test, expect } from '@playwright/test';
import { SHOTS, hydrated, noSidewaysScroll, signUp, uniqueEmail } from './helpers.mjs';

test('the owner tunes an agent\'s model settings, with errors beside the field', async ({ page }) => {
  await signUp(page, { business: 'Model Check Co', name: 'Sam', email: uniqueEmail('models'), password: 'models models models' });
  await page.goto('/app/settings');
  await hydrated(page);
  // The model settings sit under "Advanced", closed until the owner opens them.
  const form = page.getByTestId('models-form');
  await expect(form).toBeHidden();
  await page.getByText('Advanced: AI models').click();
  await expect(form).toContainText('This server runs the offline model');
  const scheduler = form.locator('fieldset[data-agent="scheduler"]');
  await expect(scheduler).toContainText('Default: offline-rules-v1 · temperature 0 · up to 512 tokens · top-p 0.9');
  await expect(scheduler.locator('select[name="scheduler_model"]')).toHaveValue('');

  await scheduler.locator('input[name="scheduler_temperature"]').fill('1.5');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(scheduler.getByText('A number from 0 to 1, like 0.2.')).toBeVisible();
  await expect(scheduler.locator('input[name="scheduler_temperature"]')).toHaveAttribute('aria-invalid', 'true');

  await scheduler.locator('input[name="scheduler_temperature"]').fill('0.2');
  await scheduler.locator('input[name="scheduler_max_tokens"]').fill('700');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('audit-log')).toContainText('AI model settings updated');
  await page.reload();
  await hydrated(page);
  await page.getByText('Advanced: AI models').click();
  const saved = page.getByTestId('models-form').locator('fieldset[data-agent="scheduler"]');
  await expect(saved.locator('input[name="scheduler_temperature"]')).toHaveValue('0.2');
  await expect(saved.locator('input[name="scheduler_max_tokens"]')).toHaveValue('700');
  await expect(page.getByTestId('models-form').locator('input[name="invoice_temperature"]')).toHaveValue('');
  await page.getByTestId('models-form').screenshot({ path: `${SHOTS}settings-models.png` });

  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await hydrated(page);
  await page.getByText('Advanced: AI models').click();
  await noSidewaysScroll(page);
  await page.getByTestId('models-form').screenshot({ path: `${SHOTS}settings-models-phone.png` });
});
