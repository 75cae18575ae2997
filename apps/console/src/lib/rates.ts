/** Millionths of a US dollar as dollars: "3456780000" → "$3,456.78", "1234567" → "$1.234567". */
export function usdFromMicros(micros: string): string {
  const digits = micros.padStart(7, '0');
  const whole = BigInt(digits.slice(0, -6)).toLocaleString('en-US');
  const fraction = digits.slice(-6).replace(/0+$/, '').padEnd(2, '0');
  return `$${whole}.${fraction}`;
}

/** A `datetime-local` field read as UTC ("2026-12-31T23:59"), or null when it is not one. */
export function utcField(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(text)) return null;
  const d = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A numeric column's text without trailing zeros: "17000.00000000" → "17000", "0.50" → "0.5". */
export function plainDecimal(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
