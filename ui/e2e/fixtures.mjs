// Fixtures the end-to-end suites and the benchmarks share: a long conversation as a Palaver
// export, and its import into a data directory before the app starts.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APP, root } from './harness.mjs';

/**
 * A Palaver export holding one conversation of `n` messages of everyday markdown, questions
 * and answers in turn; message `i` has the id `bench-msg-i`, and the last ends with `lastWord`.
 * @param {number} n
 * @param {{ title: string, lastWord: string }} options
 */
export function conversationExport(n, { title, lastWord }) {
  const t0 = Date.UTC(2025, 0, 6, 9, 0, 0);
  const questions = [
    'How do I read a large file line by line without loading it all?',
    'Can you show the same with error handling?',
    'What is the difference between a mutex and a read-write lock?',
    'Summarize the trade-offs in a table, please.',
    'Why does my build take so long after touching one file?',
  ];
  const answers = [
    (i) => `Use a buffered reader: it reads in chunks and hands out one line at a time, so memory stays flat whatever the file's size.\n\n\`\`\`rust\nuse std::fs::File;\nuse std::io::{BufRead, BufReader};\n\nfn count_lines(path: &str) -> std::io::Result<usize> {\n    let reader = BufReader::new(File::open(path)?);\n    let mut n = 0;\n    for line in reader.lines() {\n        let line = line?;\n        if !line.trim().is_empty() {\n            n += 1;\n        }\n    }\n    Ok(n)\n}\n\`\`\`\n\nThis is step ${i} of the walkthrough; the same pattern works for sockets and pipes.`,
    (i) => `Here is what changes:\n\n1. **Open** the file and report a missing one clearly.\n2. **Read** each line, skipping those that are not valid UTF-8.\n3. **Count** only the lines that matter.\n\nA few things to keep in mind:\n\n- errors carry the path, so the message says *which* file failed;\n- the reader is dropped at the end of the function, closing the file;\n- nothing here allocates per line beyond the line itself.\n\nAnswer ${i}.`,
    (i) => `A **mutex** lets one thread in at a time, readers and writers alike. A **read-write lock** lets many readers in together, but a writer alone.\n\nReach for the read-write lock when reads dominate and each read takes a while; otherwise a plain mutex is simpler and often faster, because it is cheaper to take.\n\n> Measure before switching: contention is rarely where it seems. (${i})`,
    (i) => `| Lock | Readers at once | Writer waits for | Cost to take | Good for |\n|---|---|---|---|---|\n| Mutex | one | the holder | low | short sections |\n| RwLock | many | every reader | higher | long reads |\n| Atomic | n/a | nothing | lowest | counters, flags |\n| Channel | n/a | the receiver | medium | handing work over |\n\nRow count ${i}: pick the simplest that is fast enough.`,
    (i) => `Most likely one of these:\n\n- the file is included by many others, so they all rebuild;\n- a build script reruns because it watches too much;\n- link time dominates, which \`--timings\` will show.\n\nStart with \`cargo build --timings\` and look at the critical path. Then try:\n\n\`\`\`toml\n[profile.dev]\ndebug = "line-tables-only"\nincremental = true\n\`\`\`\n\nThat usually halves the wait (${i}).`,
  ];
  const messages = [];
  let parent = null;
  for (let i = 0; i < n; i++) {
    const user = i % 2 === 0;
    const turn = Math.floor(i / 2);
    let content = user ? questions[turn % questions.length] : answers[turn % answers.length](turn);
    if (i === n - 1) content += ` ${lastWord}`;
    const id = `bench-msg-${i}`;
    messages.push({
      id, parentId: parent, role: user ? 'user' : 'assistant', content, status: 'complete',
      model: user ? '' : 'mock-small', createdAt: t0 + i * 60000,
    });
    parent = id;
  }
  return {
    format: 'palaver-history', version: 1, exportedAt: t0 + n * 60000,
    conversations: [{
      id: 'bench-conversation', title, createdAt: t0, updatedAt: t0 + n * 60000,
      model: 'mock-small', source: 'import', currentLeafId: parent, messages,
    }],
  };
}

/** The `palaver` command of the same build as the app, for `palaver history import`. */
function palaverCommand() {
  const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  const found = [join(dirname(APP), 'palaver'), join(target, 'debug', 'palaver')].find((p) => existsSync(p));
  if (!found) throw new Error(`no palaver command beside ${APP} or in ${target}/debug`);
  return found;
}

/**
 * Imports an export into the history of `dataDir` with `palaver history import`.
 * @param {string} dataDir
 * @param {object} history
 */
export function importHistory(dataDir, history) {
  const file = join(dataDir, 'fixture-history.json');
  writeFileSync(file, JSON.stringify(history));
  execFileSync(palaverCommand(), ['history', 'import', file], {
    env: { ...process.env, PALAVER_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dataDir, 'config') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
