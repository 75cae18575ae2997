const formatter = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** "3 Dec 2026, 07:41 UTC": server-rendered, so in one stated time zone. */
export function formatDate(value: Date | string): string {
  return `${formatter.format(new Date(value))} UTC`;
}

export const isoDate = (value: Date | string) => new Date(value).toISOString();
