// Renders a reply while it streams, like EventSource.onmessage appending text — but as
// markdown, and without re-parsing the whole reply on every token.
//
// The text is cut into blocks at blank lines outside code fences. Every block before the
// last is finished: it is rendered once, decorated (highlighting, copy buttons) and never
// touched again ("frozen"). Only the last block, the one being written, is re-rendered, at
// most once per animation frame. An open code fence in the last block is shown as plain
// text until it closes, so even a huge code block costs no markdown parsing per frame.

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The offset just after the last blank line that ends a block, scanning complete lines
 * from `start` (which must itself be outside any fence). Returns `start` if none.
 * @param {string} text
 * @param {number} start
 */
export function lastBlockBoundary(text, start) {
  let boundary = start;
  /** @type {string | null} */
  let fence = null;
  let pos = start;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) break; // the last line is not complete yet
    const line = text.slice(pos, nl);
    const m = FENCE.exec(line);
    if (fence === null) {
      if (m) fence = m[1];
      else if (line.trim() === '') boundary = nl + 1;
    } else if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) {
      fence = null;
    }
    pos = nl + 1;
  }
  return boundary;
}

/**
 * If `tail` is an unclosed fenced code block, its language and code so far.
 * @param {string} tail
 */
function openFence(tail) {
  const firstNl = tail.indexOf('\n');
  const first = firstNl === -1 ? tail : tail.slice(0, firstNl);
  const m = FENCE.exec(first);
  if (!m) return null;
  const body = firstNl === -1 ? '' : tail.slice(firstNl + 1);
  for (const line of body.split('\n')) {
    const c = FENCE.exec(line);
    if (c && c[1][0] === m[1][0] && c[1].length >= m[1].length && line.trim() === c[1]) return null;
  }
  return { language: first.slice(m[0].length).trim().split(/\s/)[0] || '', code: body };
}

export class StreamRenderer {
  /**
   * @param {HTMLElement} container where the reply's blocks go
   * @param {{ toFragment(src: string): DocumentFragment }} markdown
   * @param {{ decorate?: (block: HTMLElement) => void, schedule?: (fn: () => void) => void, onRender?: () => void }} [options]
   */
  constructor(container, markdown, options = {}) {
    this.container = container;
    this.markdown = markdown;
    this.decorate = options.decorate ?? (() => {});
    this.schedule = options.schedule ?? ((fn) => requestAnimationFrame(() => fn()));
    this.onRender = options.onRender ?? (() => {});
    this.text = '';
    this.frozenEnd = 0;
    this.scheduled = false;
    this.done = false;
    /** How many times a block was rendered: for tests and diagnostics. */
    this.renders = 0;
    const doc = container.ownerDocument;
    this.live = doc.createElement('div');
    this.live.className = 'block live';
    container.append(this.live);
  }

  /** Replaces everything (a stored reply). @param {string} text */
  setText(text) {
    this.text = text;
    this.request();
  }

  /** @param {string} delta */
  append(delta) {
    if (!delta || this.done) return;
    this.text += delta;
    this.request();
  }

  request() {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Renders what changed since the last frame. */
  flush() {
    const boundary = lastBlockBoundary(this.text, this.frozenEnd);
    if (boundary > this.frozenEnd) {
      const finished = this.text.slice(this.frozenEnd, boundary);
      if (finished.trim() !== '') this.freeze(finished);
      this.frozenEnd = boundary;
    }
    this.renderLive(this.text.slice(this.frozenEnd));
    this.onRender();
  }

  /** The reply ended: the last block is finished too. */
  finish() {
    if (this.done) return;
    this.done = true;
    const tail = this.text.slice(this.frozenEnd);
    if (tail.trim() !== '') this.freeze(tail);
    this.frozenEnd = this.text.length;
    this.live.remove();
    this.onRender();
  }

  /** @param {string} src */
  freeze(src) {
    const block = this.container.ownerDocument.createElement('div');
    block.className = 'block';
    block.append(this.markdown.toFragment(src));
    this.renders += 1;
    this.decorate(block);
    this.container.insertBefore(block, this.live);
  }

  /** @param {string} tail */
  renderLive(tail) {
    const live = this.live;
    const fence = openFence(tail);
    if (fence) {
      let code = live.querySelector('pre.streaming-code > code');
      if (!code) {
        live.replaceChildren();
        const pre = live.ownerDocument.createElement('pre');
        pre.className = 'streaming-code';
        code = live.ownerDocument.createElement('code');
        pre.append(code);
        live.append(pre);
      }
      code.textContent = fence.code;
      return;
    }
    this.renders += 1;
    live.replaceChildren(this.markdown.toFragment(tail));
  }
}
