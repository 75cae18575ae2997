/**
 * Live transcode progress in the studio's table: while a video is queued or processing, the
 * table's status cells are refreshed from `/studio/videos.json` every two seconds.
 */
interface Row {
  id: string;
  status: string;
  progress: number;
  lastError: string | null;
  durationSeconds: number | null;
}

const table = document.querySelector<HTMLTableElement>('table[data-videos]');
const busy = (s: string) => s === 'queued' || s === 'processing';

function render(row: Row) {
  const tr = table?.querySelector<HTMLTableRowElement>(`tr[data-video-id="${row.id}"]`);
  const cell = tr?.cells[1];
  if (!tr || !cell) return;
  const badge = document.createElement('span');
  badge.className = `status ${row.status}`;
  badge.dataset.status = '';
  badge.textContent = row.status;
  const parts: Node[] = [badge];
  if (row.status === 'processing') {
    const pct = document.createElement('span');
    pct.className = 'hint';
    pct.dataset.progress = '';
    pct.textContent = ` ${Math.round(row.progress * 100)}%`;
    parts.push(pct);
  }
  if (row.status === 'error' && row.lastError) {
    const why = document.createElement('div');
    why.className = 'hint';
    why.textContent = row.lastError;
    parts.push(why);
  }
  cell.replaceChildren(...parts);
  const length = tr.cells[3];
  if (length && row.durationSeconds !== null) {
    const s = Math.round(row.durationSeconds);
    length.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
}

async function poll() {
  if (!table) return;
  const pending = Array.from(table.querySelectorAll<HTMLElement>('[data-status]')).some((el) =>
    busy(el.textContent ?? ''),
  );
  if (!pending) return;
  try {
    const response = await fetch('/studio/videos.json', { headers: { accept: 'application/json' } });
    if (response.ok) {
      const { videos } = (await response.json()) as { videos: Row[] };
      for (const row of videos) render(row);
    }
  } finally {
    setTimeout(poll, 2000);
  }
}

setTimeout(poll, 1000);
