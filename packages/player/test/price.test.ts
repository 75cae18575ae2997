import { describe, expect, it } from 'vitest';
import { formatPrice } from '../src/price';

describe('formatPrice', () => {
  it('shows whole cents in dollars, and nothing more for a USD tenant', () => {
    expect(formatPrice(499, { displayCurrency: 'USD', displayRate: '1' }, 'en-US')).toEqual({
      usd: '$4.99',
      local: null,
    });
  });

  it('converts at the tenant’s rate in integers, rounded to the currency’s minor unit', () => {
    expect(formatPrice(500, { displayCurrency: 'IDR', displayRate: '17000' }, 'en-US').local).toBe(
      'IDR\u00a085,000',
    );
    // 0.1 + 0.2 style drift would show here: 333 × 0.92 = 306.36 cents → €3.06.
    expect(formatPrice(333, { displayCurrency: 'EUR', displayRate: '0.92' }, 'en-US').local).toBe('€3.06');
    // Half a minor unit rounds up: 5 cents × 0.9 = 4.5 → €0.05.
    expect(formatPrice(5, { displayCurrency: 'EUR', displayRate: '0.9' }, 'en-US').local).toBe('€0.05');
  });

  it('error: a rate or currency it cannot use shows the dollar price only', () => {
    expect(formatPrice(100, { displayCurrency: 'EUR', displayRate: 'abc' }, 'en-US').local).toBeNull();
    expect(formatPrice(100, { displayCurrency: 'E1R', displayRate: '2' }, 'en-US').local).toBeNull();
  });
});
