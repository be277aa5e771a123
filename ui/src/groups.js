// Sidebar groups by recency: Pinned, Today, Yesterday, Previous 7 days, then by month.

const DAY = 24 * 60 * 60 * 1000;

/**
 * @template {{ updatedAt: number, pinned: boolean }} T
 * @param {T[]} conversations newest first
 * @param {Date} now
 * @returns {{ label: string, items: T[] }[]}
 */
export function groupByRecency(conversations, now = new Date()) {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  /** @type {Map<string, T[]>} */
  const groups = new Map();
  /** @param {string} label @param {T} item */
  const add = (label, item) => {
    const group = groups.get(label);
    if (group) group.push(item);
    else groups.set(label, [item]);
  };
  for (const c of conversations) {
    if (c.pinned) add('Pinned', c);
    else if (c.updatedAt >= startOfToday) add('Today', c);
    else if (c.updatedAt >= startOfToday - DAY) add('Yesterday', c);
    else if (c.updatedAt >= startOfToday - 7 * DAY) add('Previous 7 days', c);
    else add(new Date(c.updatedAt).toLocaleDateString('en', { month: 'long', year: 'numeric' }), c);
  }
  return [...groups].map(([label, items]) => ({ label, items }));
}

/**
 * Splits a search snippet at its match markers (U+0002 … U+0003) into plain and marked
 * pieces, so it can be shown without treating message text as HTML.
 * @param {string} snippet
 * @returns {{ text: string, marked: boolean }[]}
 */
export function snippetParts(snippet) {
  const parts = [];
  let marked = false;
  // eslint-disable-next-line no-control-regex -- the markers are control characters on purpose
  for (const piece of snippet.split(/([\u0002\u0003])/)) {
    if (piece === '\u0002') marked = true;
    else if (piece === '\u0003') marked = false;
    else if (piece) parts.push({ text: piece, marked });
  }
  return parts;
}
