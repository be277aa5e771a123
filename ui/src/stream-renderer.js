// Renders a reply while it streams, like EventSource.onmessage appending text, but as
// markdown, and with each frame costing what arrived since the last one, however long the
// paragraph, list, table, quote or code block being written.
//
// The reply is read line by line into a block model. Each block is a "run" with a DOM element
// that only grows:
// - a paragraph is a <p> that takes its text piece by piece: a complete line once the next
//   line shows it was not the start of something else (a setext heading, a table), and within
//   a long line everything up to a space where no code span, link, emphasis or formula is open;
// - a list is a <ul>/<ol> that takes each item once the next item starts;
// - a table is a <table> that takes each row once its line ends;
// - a block quote is a <blockquote> whose inside is a renderer of its own, fed the lines
//   without their `>`;
// - a fenced code block is a <pre> that takes each line as plain text, and is highlighted
//   once, when its fence closes;
// - headings and rules are rendered once, when their line ends.
// Only the part of a run not yet taken (the item, row or words being written) is rendered again
// on the next frame. Everything that becomes DOM goes through the sanitizing markdown renderer,
// piece by piece. Anything the model does not follow (raw HTML, indented code) is a run that is
// rendered whole each frame until its blank line, as every block was before. When a line shows
// that text already shown meant something else (a paragraph that was a table's header), that
// run is rendered again from its source, once.
//
// A backlog (a reply that arrives faster than frames) is worked off in time slices, whole
// blocks at once while it is large, so that a frame never freezes the window.

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const ATX = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT = /^ {0,3}(?:=+|-+)[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?/;
const LIST_ITEM = /^( {0,3})(?:([-*+])|(\d{1,9})([.)]))([ \t]+|$)/;
const MATH_BLOCK = /^ {0,3}(\$\$|\\\[)/;
const HTML_BLOCK = /^ {0,3}<(?:[a-zA-Z]|\/[a-zA-Z]|!--|\?|![A-Z])/;
const INDENTED = /^(?: {4}|\t)/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const CODE_LANGUAGE = /^[\w+#.-]{1,32}$/;

/** A paragraph's text not yet taken is cut once it is longer than this. */
const CUT_AFTER = 240;
/**
 * A paragraph's text goes on in a new <p class="continued"> (no space between, the same flow
 * but for where a line ends) once its <p> holds this much: the browser lays out a paragraph's
 * lines whole, so appending to a 100 KB one costs tens of milliseconds a frame.
 */
const PARAGRAPH_PIECE = 2_000;
/** An emphasis, code span, link or formula open for longer than this is taken to be none. */
const OPEN_LIMIT = 600;
/** Work per frame while streaming, and while working off a large backlog. */
const FRAME_BUDGET_MS = 10;
const BACKLOG_BUDGET_MS = 30;
/** A backlog this large is rendered whole blocks at a time. */
const BACKLOG_CHARS = 16_384;

/**
 * A list item's marker, or null.
 * @param {string} line
 */
export function listItem(line) {
  const m = LIST_ITEM.exec(line);
  if (!m) return null;
  const markerEnd = m[1].length + (m[2] ? 1 : m[3].length + 1);
  const spaces = m[5].length;
  return {
    ordered: !m[2],
    marker: m[2] ?? m[4],
    start: m[3] ? Number(m[3]) : 1,
    // Five spaces or more after the marker: the content starts one space in (indented code).
    contentIndent: markerEnd + (spaces === 0 || spaces > 4 ? 1 : spaces),
    empty: line.slice(m[0].length).trim() === '',
  };
}

/**
 * What a line starts, seen outside any block.
 * @param {string} line
 * @returns {'blank' | 'fence' | 'heading' | 'hr' | 'quote' | 'list' | 'math' | 'other' | 'paragraph'}
 */
export function classify(line) {
  if (line.trim() === '') return 'blank';
  if (FENCE.test(line) && !(line.trimStart().startsWith('`') && FENCE.exec(line)?.[3].includes('`'))) return 'fence';
  if (ATX.test(line)) return 'heading';
  if (HR.test(line)) return 'hr';
  if (QUOTE.test(line)) return 'quote';
  if (listItem(line)) return 'list';
  if (MATH_BLOCK.test(line)) return 'math';
  if (HTML_BLOCK.test(line) || INDENTED.test(line)) return 'other';
  return 'paragraph';
}

/**
 * Whether a line ends the paragraph before it without a blank line (CommonMark's
 * "interrupt a paragraph").
 * @param {string} line
 */
function interruptsParagraph(line) {
  const kind = classify(line);
  if (kind === 'fence' || kind === 'heading' || kind === 'hr' || kind === 'quote' || kind === 'math') return true;
  if (kind === 'list') {
    const item = /** @type {NonNullable<ReturnType<typeof listItem>>} */ (listItem(line));
    return !item.empty && (!item.ordered || item.start === 1);
  }
  return false;
}

/**
 * The kind of run an unfinished first line already certainly starts, or null while more of the
 * line is needed to know (a `1` may become `1. item`, a `<` an HTML block, a `` ` `` a fence).
 * @param {string} line
 */
function partialKind(line) {
  const kind = classify(line);
  if (kind === 'quote') return QUOTE.exec(line)?.[0].length === line.length ? null : 'quote';
  if (kind === 'list') {
    const item = /** @type {NonNullable<ReturnType<typeof listItem>>} */ (listItem(line));
    return /[^-*_+\s]/.test(line.slice(item.contentIndent)) ? 'list' : null;
  }
  if (kind !== 'paragraph') return null;
  const trimmed = line.trim();
  if (trimmed.length < 3 || /^[<`~]/.test(trimmed) || /^\d+[.)]?$/.test(trimmed)) return null;
  return /[^-*_+=#`~<>|.)\d\s]/.test(trimmed) ? 'paragraph' : null;
}

/**
 * The offset in `text` (a paragraph's text not yet taken, which starts with nothing open) of
 * the last place where it can be cut so that both sides render as they would together: just
 * after a space, with no code span, link, autolink, emphasis or `$` formula open. 0 if none.
 * @param {string} text
 * @param {number} keep how much of the end is never cut off (the words being written)
 */
export function safeCut(text, keep = 24) {
  return scanInline(text, keep).cut;
}

/**
 * Whether nothing is open at the end of `text` (which starts with nothing open).
 * @param {string} text
 */
export function closedAtEnd(text) {
  return scanInline(text, 0).closed;
}

/**
 * @param {string} text
 * @param {number} keep
 */
function scanInline(text, keep) {
  /** @type {Map<string, number>} open construct → where it opened */
  const open = new Map();
  let code = 0; // the length of the backtick run that opened a code span
  let codeAt = 0;
  let cut = 0;
  const limit = text.length - keep;
  const space = (/** @type {string | undefined} */ c) => c === undefined || /\s/.test(c);
  const word = (/** @type {string | undefined} */ c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (code) {
      if (c === '`') {
        let n = 1;
        while (text[i + n] === '`') n++;
        if (n === code) code = 0;
        i += n - 1;
      } else if (i - codeAt > OPEN_LIMIT) {
        code = 0;
      }
      continue;
    }
    for (const [what, at] of open) if (i - at > OPEN_LIMIT) open.delete(what);
    if (i <= limit && i > 0 && text[i - 1] === ' ' && !space(c) && open.size === 0) cut = i;
    if (c === '\\') {
      // \( … \) and \[ … \] are formulas; any other backslash escapes the next character.
      const next = text[i + 1];
      if (next === '(' || next === '[') open.set(`\\${next}`, i);
      else if (next === ')') open.delete('\\(');
      else if (next === ']') open.delete('\\[');
      i++;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (text[i + n] === '`') n++;
      code = n;
      codeAt = i;
      i += n - 1;
      continue;
    }
    if (c === '*' || c === '_' || c === '~' || c === '$') {
      let n = 1;
      while (text[i + n] === c) n++;
      const before = text[i - 1];
      const after = text[i + n];
      const key = c + n;
      // `$$` opens display math even at the end of a line.
      const canOpen = (!space(after) || (c === '$' && n > 1)) && !(c === '_' && word(before));
      const canClose = (!space(before) || (c === '$' && n > 1)) && !(c === '_' && word(after)) && !(c === '$' && /\d/.test(after ?? ''));
      if (open.has(key) && canClose) open.delete(key);
      else if (canOpen && !(c === '$' && /\d/.test(after ?? ''))) open.set(key, i);
      i += n - 1;
      continue;
    }
    if (c === '[') open.set('[', i);
    else if (c === ']') {
      open.delete('[');
      if (text[i + 1] === '(') open.set('(', i);
    } else if (c === ')') open.delete('(');
    else if (c === '<' && /[a-zA-Z/]/.test(text[i + 1] ?? '')) open.set('<', i);
    else if (c === '>') open.delete('<');
  }
  for (const [what, at] of open) if (text.length - at > OPEN_LIMIT) open.delete(what);
  return { cut, closed: open.size === 0 && (code === 0 || text.length - codeAt > OPEN_LIMIT) };
}

/**
 * The offset just after the last blank line that ends a block, scanning complete lines
 * from `start` (which must itself be outside any fence). Returns `start` if none.
 * @param {string} text
 * @param {number} start
 * @param {number} [end] scan no further than this
 */
export function lastBlockBoundary(text, start, end = text.length) {
  let boundary = start;
  /** @type {string | null} */
  let fence = null;
  let pos = start;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1 || nl >= end) break; // the last line is not complete yet
    const line = text.slice(pos, nl);
    const m = FENCE.exec(line);
    if (fence === null) {
      if (m) fence = m[2];
      else if (line.trim() === '') boundary = nl + 1;
    } else if (m && closesFence(line, fence)) {
      fence = null;
    }
    pos = nl + 1;
  }
  return boundary;
}

/**
 * @param {string} line
 * @param {string} fence the opening fence's backticks or tildes
 */
function closesFence(line, fence) {
  const m = FENCE.exec(line);
  return !!m && m[2][0] === fence[0] && m[2].length >= fence.length && m[3].trim() === '';
}

/**
 * @typedef {{ kind: 'paragraph', from: number, block: HTMLElement, p: HTMLElement, pending: number, lines: number, taken: boolean, held: number }} ParagraphRun
 * @typedef {{ kind: 'list', from: number, block: HTMLElement, list: HTMLElement, ordered: boolean, marker: string, item: number, contentIndent: number, fence: string | null, blank: boolean }} ListRun
 * @typedef {{ kind: 'table', from: number, block: HTMLElement, head: string, tbody: HTMLElement }} TableRun
 * @typedef {{ kind: 'quote', from: number, block: HTMLElement, inner: StreamRenderer, fed: number }} QuoteRun
 * @typedef {{ kind: 'code', from: number, block: HTMLElement, fence: string, indent: number, language: string, code: HTMLElement, tail: Text, lines: number }} CodeRun
 * @typedef {{ kind: 'other', from: number, block: HTMLElement }} OtherRun
 * @typedef {{ kind: 'math', from: number, block: HTMLElement, closer: string, lines: number }} MathRun
 * @typedef {ParagraphRun | ListRun | TableRun | QuoteRun | CodeRun | OtherRun | MathRun} Run
 */

export class StreamRenderer {
  /**
   * @param {HTMLElement} container where the reply's blocks go
   * @param {{ toFragment(src: string): DocumentFragment, inlineFragment(src: string): DocumentFragment }} markdown
   * @param {{ decorate?: (block: HTMLElement) => void, schedule?: (fn: () => void) => void, onRender?: () => void, now?: () => number, parent?: StreamRenderer }} [options]
   *   `parent`: the renderer of the quote this one renders the inside of
   */
  constructor(container, markdown, options = {}) {
    this.container = container;
    this.doc = container.ownerDocument;
    this.markdown = markdown;
    this.decorate = options.decorate ?? (() => {});
    this.schedule = options.schedule ?? ((fn) => requestAnimationFrame(() => fn()));
    this.onRender = options.onRender ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    /** @type {StreamRenderer | null} */
    this.parent = options.parent ?? null;
    this.text = '';
    /** The offset of the first line not yet read into the block model. */
    this.pos = 0;
    /** @type {Run | null} */
    this.run = null;
    /** The nodes that show what is not yet taken; replaced on every frame. @type {ChildNode[]} */
    this.liveNodes = [];
    this.scheduled = false;
    this.done = false;
    /** How many times markdown was rendered, and how many characters: for tests and diagnostics. */
    this.renders = 0;
    this.parsed = 0;
    /** The most characters rendered as markdown in one frame. */
    this.maxFrameParsed = 0;
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

  /** Renders what arrived since the last frame, within the frame's budget. */
  flush() {
    if (this.done) return;
    const parsedBefore = this.parsed;
    this.clearLive();
    const backlog = this.text.length - this.pos > BACKLOG_CHARS;
    const deadline = this.now() + (backlog ? BACKLOG_BUDGET_MS : FRAME_BUDGET_MS);
    let lines = 0;
    for (;;) {
      if (this.run === null && this.text.length - this.pos > BACKLOG_CHARS) this.catchUp(deadline);
      const nl = this.text.indexOf('\n', this.pos);
      if (nl === -1) break;
      const start = this.pos;
      this.pos = nl + 1;
      this.line(this.text.slice(start, nl), start, nl + 1);
      if (++lines % 16 === 0 && this.now() > deadline) break;
    }
    if (this.text.indexOf('\n', this.pos) === -1) this.renderLive(deadline);
    else this.request(); // the rest next frame
    this.maxFrameParsed = Math.max(this.maxFrameParsed, this.parsed - parsedBefore);
    this.onRender();
  }

  /** The reply ended: what is not yet taken is, as it stands. */
  finish() {
    if (this.done) return;
    this.clearLive();
    this.catchUp(Infinity);
    for (;;) {
      const nl = this.text.indexOf('\n', this.pos);
      const end = nl === -1 ? this.text.length : nl;
      if (end === this.text.length && this.pos === end) break;
      const start = this.pos;
      this.pos = nl === -1 ? end : nl + 1;
      this.line(this.text.slice(start, end), start, this.pos);
      if (nl === -1) break;
    }
    this.endRun(this.text.length);
    this.done = true;
    this.onRender();
  }

  /** The whole of a stored reply at once: its blocks, rendered whole. @param {string} text */
  renderAll(text) {
    this.text = text;
    this.pos = 0;
    this.finish();
  }

  // ------------------------------------------------------------------ the block model

  /**
   * Reads one complete line (or the last, unfinished one at the end).
   * @param {string} line without its newline
   * @param {number} start its offset
   * @param {number} end the offset after its newline
   */
  line(line, start, end) {
    const run = this.run;
    if (run) {
      if (this.continueRun(run, line, start, end)) return;
      this.endRun(start);
    }
    this.startRun(line, start, end);
  }

  /**
   * Starts the run a line begins (or renders it whole: a heading, a rule).
   * @param {string} line
   * @param {number} start
   * @param {number} end
   */
  startRun(line, start, end) {
    const kind = classify(line);
    switch (kind) {
      case 'blank':
        return;
      case 'heading':
      case 'hr':
        this.staticBlock(line);
        return;
      case 'fence':
        this.startCode(line, start);
        return;
      case 'math': {
        const opener = /** @type {RegExpExecArray} */ (MATH_BLOCK.exec(line));
        this.run = { kind, from: start, block: this.newBlock(), closer: opener[1] === '$$' ? '$$' : '\\]', lines: 0 };
        this.continueRun(this.run, line, start, end);
        return;
      }
      case 'paragraph':
      case 'list':
      case 'quote':
      case 'other':
        this.begin(kind, start);
        this.continueRun(/** @type {Run} */ (this.run), line, start, end);
    }
  }

  /**
   * A run of `kind` from `start`, empty so far.
   * @param {'paragraph' | 'list' | 'quote' | 'other'} kind
   * @param {number} start
   */
  begin(kind, start) {
    const block = this.newBlock();
    if (kind === 'paragraph') {
      const p = this.doc.createElement('p');
      block.append(p);
      this.run = { kind, from: start, block, p, pending: start, lines: 0, taken: false, held: 0 };
    } else if (kind === 'list') {
      const nl = this.text.indexOf('\n', start);
      const item = /** @type {NonNullable<ReturnType<typeof listItem>>} */ (listItem(this.text.slice(start, nl === -1 ? undefined : nl)));
      const list = this.doc.createElement(item.ordered ? 'ol' : 'ul');
      if (item.ordered && item.start !== 1) list.setAttribute('start', String(item.start));
      block.append(list);
      this.run = { kind, from: start, block, list, ordered: item.ordered, marker: item.marker, item: start, contentIndent: item.contentIndent, fence: null, blank: false };
    } else if (kind === 'quote') {
      const quote = this.doc.createElement('blockquote');
      block.append(quote);
      const inner = new StreamRenderer(quote, this.markdown, { decorate: this.decorate, schedule: () => {}, now: this.now, parent: this });
      this.run = { kind, from: start, block, inner, fed: start };
    } else {
      this.run = { kind, from: start, block };
    }
  }

  /**
   * Whether `line` belongs to `run`; if it does, the run takes what it can.
   * @param {Run} run
   * @param {string} line
   * @param {number} start
   * @param {number} end
   */
  continueRun(run, line, start, end) {
    const first = start === run.from;
    switch (run.kind) {
      case 'paragraph': {
        if (first) { run.lines = 1; return true; }
        if (line.trim() === '') return false;
        if (SETEXT.test(line)) {
          // The paragraph was a heading's text.
          this.replaceRun(run, end);
          return true;
        }
        if (run.lines === 1 && TABLE_DELIMITER.test(line) && line.includes('|') && this.text.slice(run.from, start).includes('|')) {
          if (this.startTable(run, end)) return true;
        }
        if (interruptsParagraph(line)) return false;
        // The line before is taken, unless an emphasis or a code span goes on into this one.
        if (closedAtEnd(this.text.slice(run.pending, start))) this.take(run, start);
        run.lines += 1;
        return true;
      }
      case 'list': {
        const blank = line.trim() === '';
        const indent = line.length - line.trimStart().length;
        if (!first && run.fence === null) {
          const item = listItem(line);
          const sameList = item && indent < run.contentIndent && item.ordered === run.ordered && item.marker === run.marker;
          if (sameList) {
            this.takeItem(run, start);
            run.item = start;
            run.contentIndent = item.contentIndent;
          } else if (blank) {
            run.blank = true;
            return true;
          } else if (indent < run.contentIndent && (run.blank || interruptsParagraph(line) || classify(line) === 'other')) {
            return false;
          }
        }
        run.blank = false;
        // A fence inside the item: blank lines within it do not end the list.
        const inner = first ? line.slice(run.contentIndent) : line.slice(Math.min(indent, run.contentIndent));
        if (run.fence === null) {
          const m = FENCE.exec(inner);
          if (m) run.fence = m[2];
        } else if (closesFence(inner, run.fence)) {
          run.fence = null;
        }
        return true;
      }
      case 'table': {
        if (line.trim() === '' || !line.includes('|') || interruptsParagraph(line)) return false;
        this.takeRow(run, line);
        return true;
      }
      case 'quote': {
        const m = QUOTE.exec(line);
        if (!m) return false;
        this.feedQuote(run, start + m[0].length, end);
        return true;
      }
      case 'code': {
        if (closesFence(line, run.fence)) {
          this.finishCode(run);
          this.run = null;
          return true;
        }
        run.tail.data = '';
        run.tail.before(this.doc.createTextNode((run.lines > 0 ? '\n' : '') + this.stripIndent(line, run.indent)));
        run.lines += 1;
        return true;
      }
      case 'other':
        return line.trim() !== '';
      case 'math': {
        // A display formula: rendered once, when its closing delimiter comes.
        const after = first ? line.slice(/** @type {RegExpExecArray} */ (MATH_BLOCK.exec(line))[0].length) : line;
        run.lines += 1;
        if (after.includes(run.closer) || run.lines > 200) this.replaceRun(run, end);
        return true;
      }
    }
  }

  /**
   * Takes what the run had not yet, up to `upTo`, and forgets it.
   * @param {number} upTo
   */
  endRun(upTo) {
    const run = this.run;
    if (!run) return;
    this.clearLive();
    this.run = null;
    switch (run.kind) {
      case 'paragraph': {
        const rest = this.text.slice(run.pending, upTo).replace(/\s+$/, '');
        if (rest) this.appendInline(run.p, rest);
        if (!run.p.hasChildNodes()) run.block.remove();
        break;
      }
      case 'list':
        this.takeItem(run, upTo);
        break;
      case 'quote':
        run.inner.finish();
        break;
      case 'code':
        this.finishCode(run);
        break;
      case 'other':
      case 'math':
        this.renderInto(run.block, this.text.slice(run.from, upTo));
        this.decorate(run.block);
        break;
      case 'table':
        break;
    }
  }

  // ------------------------------------------------------------------ paragraphs

  /**
   * Takes the paragraph's text up to `upTo` (from its last cut).
   * @param {ParagraphRun} run
   * @param {number} upTo
   */
  take(run, upTo) {
    const src = this.text.slice(run.pending, upTo);
    run.pending = upTo;
    if (!src) return;
    run.taken = true;
    if (run.held > PARAGRAPH_PIECE) {
      run.p.classList.add('split');
      const next = this.doc.createElement('p');
      next.className = 'continued';
      run.block.append(next);
      run.p = next;
      run.held = 0;
    }
    run.held += src.length;
    // A hard line break (two spaces or a backslash before the newline) needs the next line to
    // be seen as one; the cut at the newline keeps it as a <br>.
    const hard = /(?: {2,}|\\)\n$/.exec(src);
    this.appendInline(run.p, hard ? src.slice(0, hard.index) : src);
    if (hard) run.p.append(this.doc.createElement('br'));
  }

  /**
   * @param {HTMLElement} p
   * @param {string} src
   */
  appendInline(p, src) {
    this.count(src);
    p.append(this.markdown.inlineFragment(src));
  }

  /**
   * A paragraph's one line was a table's header, and the line ending at `end` its delimiter row.
   * @param {ParagraphRun} run
   * @param {number} end
   */
  startTable(run, end) {
    const head = this.text.slice(run.from, end);
    this.count(head);
    const table = this.markdown.toFragment(head).querySelector('table');
    if (!table) return false;
    let tbody = table.querySelector('tbody');
    if (!tbody) {
      tbody = this.doc.createElement('tbody');
      table.append(tbody);
    }
    this.clearLive();
    run.block.replaceChildren(table);
    this.run = { kind: 'table', from: run.from, block: run.block, head: head.replace(/\n$/, ''), tbody };
    return true;
  }

  /**
   * @param {TableRun} run
   * @param {string} line
   */
  row(run, line) {
    const src = `${run.head}\n${line}`;
    this.count(src);
    const rows = this.markdown.toFragment(src).querySelectorAll('tbody tr');
    return rows.length ? /** @type {HTMLElement} */ (rows[rows.length - 1]) : null;
  }

  /**
   * @param {TableRun} run
   * @param {string} line
   */
  takeRow(run, line) {
    this.clearLive();
    const tr = this.row(run, line);
    if (tr) run.tbody.append(tr);
  }

  // ------------------------------------------------------------------ lists

  /**
   * Takes the list's open item, which ends at `end`.
   * @param {ListRun} run
   * @param {number} end
   */
  takeItem(run, end) {
    this.clearLive();
    const src = this.text.slice(run.item, end).replace(/\n\s*$/, '\n');
    if (src.trim() === '') return;
    for (const li of this.items(src, true)) run.list.append(li);
  }

  /**
   * The `<li>`s of one item's source; decorated once the item is finished.
   * @param {string} src
   * @param {boolean} finished
   */
  items(src, finished) {
    this.count(src);
    const box = this.doc.createElement('div');
    box.append(this.markdown.toFragment(src));
    if (finished) this.decorate(box);
    const list = box.firstElementChild;
    if (list && (list.tagName === 'UL' || list.tagName === 'OL')) return [...list.children];
    // Not a list after all (the markdown renderer disagreed): shown as it rendered.
    const li = this.doc.createElement('li');
    li.append(...box.childNodes);
    return [li];
  }

  // ------------------------------------------------------------------ quotes and code

  /**
   * Feeds a quote's inner renderer the text from `from` (after the `>`) to `to`.
   * @param {QuoteRun} run
   * @param {number} from
   * @param {number} to
   */
  feedQuote(run, from, to) {
    const start = Math.max(from, run.fed);
    if (to > start) run.inner.text += this.text.slice(start, to);
    run.fed = Math.max(run.fed, to);
  }

  /**
   * @param {string} line
   * @param {number} start
   */
  startCode(line, start) {
    const m = /** @type {RegExpExecArray} */ (FENCE.exec(line));
    const block = this.newBlock();
    const pre = this.doc.createElement('pre');
    pre.className = 'streaming-code';
    const code = this.doc.createElement('code');
    const tail = this.doc.createTextNode('');
    code.append(tail);
    pre.append(code);
    block.append(pre);
    const language = m[3].trim().split(/\s/)[0] ?? '';
    this.run = { kind: 'code', from: start, block, fence: m[2], indent: m[1].length, language, code, tail, lines: 0 };
  }

  /** @param {CodeRun} run */
  finishCode(run) {
    run.tail.remove();
    // As the markdown renderer has it: the code's last line ends with a newline too.
    if (run.lines > 0) run.code.append('\n');
    const pre = /** @type {HTMLElement} */ (run.code.parentElement);
    pre.removeAttribute('class');
    if (CODE_LANGUAGE.test(run.language)) run.code.className = `language-${run.language}`;
    this.decorate(run.block);
  }

  /**
   * @param {string} line
   * @param {number} indent the fence's own indentation, which its lines lose
   */
  stripIndent(line, indent) {
    let i = 0;
    while (i < indent && line[i] === ' ') i++;
    return line.slice(i);
  }

  // ------------------------------------------------------------------ what is not yet taken

  /** Shows the run's text not yet taken, and the unfinished last line. */
  /** @param {number} [deadline] when the frame's time is up: a long paragraph waits for the next */
  renderLive(deadline = Infinity) {
    const partial = this.text.slice(this.pos);
    if (this.run === null && partial) {
      const kind = partialKind(partial);
      if (kind) this.begin(kind, this.pos);
    }
    const run = this.run;
    if (!run) {
      if (partial.trim()) this.showLive(this.container, this.newLive(partial));
      return;
    }
    switch (run.kind) {
      case 'paragraph': {
        let pending = this.text.slice(run.pending);
        // Taken a piece at a time, so that each <p> stays short and a paragraph that
        // arrived all at once is worked off over frames.
        let stuck = false;
        while (pending.length > CUT_AFTER) {
          const piece = pending.length > 2 * PARAGRAPH_PIECE ? pending.slice(0, PARAGRAPH_PIECE) : pending;
          const cut = safeCut(piece, piece === pending ? 24 : 0);
          if (cut <= 0) {
            stuck = true; // no place to cut (a word of thousands of characters): shown whole
            break;
          }
          this.take(run, run.pending + cut);
          pending = pending.slice(cut);
          if (this.now() > deadline) break;
        }
        if (!stuck && pending.length > 2 * PARAGRAPH_PIECE && deadline !== Infinity) {
          this.request(); // the rest next frame
        } else if (pending) {
          this.count(pending);
          this.showLive(run.p, this.markdown.inlineFragment(pending));
        }
        break;
      }
      case 'list': {
        const src = this.text.slice(run.item);
        if (src.trim()) this.showLive(run.list, ...this.items(src, false));
        break;
      }
      case 'table': {
        if (partial.trim()) {
          const tr = this.row(run, partial);
          if (tr) this.showLive(run.tbody, tr);
        }
        break;
      }
      case 'quote': {
        const m = QUOTE.exec(partial);
        if (m && partial.length > m[0].length) this.feedQuote(run, this.pos + m[0].length, this.text.length);
        run.inner.flush();
        break;
      }
      case 'code':
        run.tail.data = partial ? (run.lines > 0 ? '\n' : '') + this.stripIndent(partial, run.indent) : '';
        break;
      case 'other':
      case 'math':
        this.renderInto(run.block, this.text.slice(run.from));
        break;
    }
  }

  /**
   * Puts nodes at the end of `parent` as the live ones.
   * @param {HTMLElement} parent
   * @param {...Node} nodes
   */
  showLive(parent, ...nodes) {
    for (const node of nodes) {
      if (node.nodeType === 11) this.liveNodes.push(.../** @type {ChildNode[]} */ ([...node.childNodes]));
      else this.liveNodes.push(/** @type {ChildNode} */ (node));
    }
    parent.append(...nodes);
  }

  clearLive() {
    for (const node of this.liveNodes) node.remove();
    this.liveNodes = [];
  }

  /**
   * An unfinished line whose kind is not known yet, as markdown.
   * @param {string} src
   */
  newLive(src) {
    const live = this.newBlock(false);
    live.classList.add('live');
    this.renderInto(live, src);
    return live;
  }

  // ------------------------------------------------------------------ whole blocks

  /**
   * Renders whole blocks from `pos` while the backlog is large and the deadline allows.
   * @param {number} deadline
   */
  catchUp(deadline) {
    while (this.run === null && this.now() <= deadline) {
      const end = lastBlockBoundary(this.text, this.pos, Math.min(this.text.length, this.pos + 8192));
      if (end === this.pos) {
        // No blank line within reach: lines go through the block model.
        return;
      }
      this.staticBlock(this.text.slice(this.pos, end));
      this.pos = end;
      if (this.text.length - this.pos <= BACKLOG_CHARS && deadline !== Infinity) return;
    }
  }

  /** @param {string} src whole blocks */
  staticBlock(src) {
    if (src.trim() === '') return;
    const block = this.newBlock();
    this.renderInto(block, src);
    this.decorate(block);
  }

  /**
   * Rerenders a run's block whole from its source up to `end`, and ends the run.
   * @param {Run} run
   * @param {number} end
   */
  replaceRun(run, end) {
    this.clearLive();
    this.renderInto(run.block, this.text.slice(run.from, end));
    this.decorate(run.block);
    this.run = null;
  }

  /**
   * @param {HTMLElement} element
   * @param {string} src
   */
  renderInto(element, src) {
    this.count(src);
    element.replaceChildren(this.markdown.toFragment(src));
  }

  /** @param {boolean} [attach] */
  newBlock(attach = true) {
    const block = this.doc.createElement('div');
    block.className = 'block';
    if (attach) this.container.append(block);
    return block;
  }

  /** @param {string} src */
  count(src) {
    this.renders += 1;
    this.parsed += src.length;
    this.parent?.count(src);
  }
}
