// What the settings dialog and the import report tell a person, from the rules behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCleartextRemote, shortcutFromKeys } from '../src/features/settings.js';
import { describeImport } from '../src/features/import-export.js';

test('the choice to send a key over plain http appears only for another machine', () => {
  for (const url of ['http://192.168.1.5:8000/v1', 'http://example.com/v1', 'http://[fe80::1]:8080/v1', 'http://127.example.com/v1']) {
    assert.equal(isCleartextRemote(url), true, url);
  }
  for (const url of ['https://api.openai.com/v1', 'http://localhost:11434/v1', 'http://llm.localhost/v1',
    'http://127.0.0.1:8080/v1', 'http://127.1.2.3/v1', 'http://[::1]:8000/v1', 'not a url', '']) {
    assert.equal(isCleartextRemote(url), false, url);
  }
});

test('the shortcut field writes the keys pressed as the shortcut plugin reads them', () => {
  const keys = (key, mods = {}) => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  assert.equal(shortcutFromKeys(keys(' ', { ctrlKey: true, shiftKey: true })), 'CommandOrControl+Shift+Space');
  assert.equal(shortcutFromKeys(keys('k', { metaKey: true, altKey: true })), 'CommandOrControl+Alt+K');
  assert.equal(shortcutFromKeys(keys('ArrowUp', { ctrlKey: true })), 'CommandOrControl+Up');
  assert.equal(shortcutFromKeys(keys('F5')), 'F5');
  assert.equal(shortcutFromKeys(keys('Shift', { shiftKey: true })), null, 'a modifier alone is not a shortcut yet');
});

test('an import report says what came in, what was already here, and names what could not be read', () => {
  const report = {
    conversationsAdded: 2, conversationsSkipped: 1, messagesAdded: 9, cancelled: false,
    rejected: [
      { id: 'a', title: 'Broken one', reason: 'no messages' },
      { id: 'b', title: '', reason: 'bad date' },
      { id: '', title: '', reason: 'not an object' },
      { id: 'd', title: 'Fourth', reason: 'x' },
    ],
  };
  assert.equal(describeImport(report),
    'Imported 2 conversations (9 messages); 1 were already here. 4 could not be imported. '
    + '“Broken one”: no messages “b”: bad date “untitled”: not an object …and 1 more.');
  assert.match(describeImport({ ...report, rejected: [], cancelled: true }), /^Imported 2 conversations \(9 messages\); 1 were already here\. The import was cancelled; what was imported before stays\.$/);
});
