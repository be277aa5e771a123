// What a person reads when a reply fails: decided by the error's kind, never by its wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeError } from '../src/errors.js';

test('an interrupted reply says the text so far is kept, and offers no settings', () => {
  const shown = describeError({ kind: 'interrupted', message: 'The server closed the stream before the answer was complete.' });
  assert.equal(shown.title, 'The connection ended before the reply was complete');
  assert.match(shown.detail, /text so far is kept/);
  assert.equal(shown.action, undefined);
});

test('a network failure that mentions “interrupted” is still a network failure', () => {
  const shown = describeError({ kind: 'network', message: 'The connection broke mid-answer: connection interrupted by peer' });
  assert.equal(shown.title, 'Could not reach the server');
  assert.equal(shown.detail, 'The connection broke mid-answer: connection interrupted by peer');
  assert.equal(shown.action, 'settings');
});

test('a reply stopped at the size limit says why and that its text is kept', () => {
  const shown = describeError({ kind: 'too_large', message: 'The reply passed 4 MiB — the most one reply may bring — and was stopped there.' });
  assert.equal(shown.title, 'The reply was stopped at the size limit');
  assert.match(shown.detail, /^The reply passed 4 MiB .* The text so far is kept\.$/);
});

test('a key withheld from a plain-http server points to the settings', () => {
  const message = 'The key for “Default” was not sent: http://192.168.1.5:8000 is reached over plain http, so the key would travel in cleartext and anyone on the network could read it.';
  const shown = describeError({ kind: 'insecure_key', message });
  assert.equal(shown.title, 'The key was not sent over an unencrypted connection');
  assert.equal(shown.detail, message);
  assert.equal(shown.action, 'settings');
});

test('every error kind the app can send has an explanation of its own', () => {
  // The kinds as Rust declares them (generated): a request's and the shell's.
  const declared = (name) => readFileSync(new URL(`../src/bindings/${name}.ts`, import.meta.url), 'utf8');
  const kinds = ['ErrorKind', 'ShellErrorKind'].flatMap((name) => [...declared(name).matchAll(/"([a-z_]+)"/g)].map((m) => m[1]));
  assert.ok(kinds.includes('interrupted') && kinds.includes('insecure_key') && kinds.includes('disk_full'), kinds.join(' '));
  const generic = describeError({ kind: null, message: 'x' }).title;
  const unexplained = kinds.filter((kind) => describeError({ kind: /** @type {any} */ (kind), message: 'x' }).title === generic);
  assert.deepEqual(unexplained, []);
});
